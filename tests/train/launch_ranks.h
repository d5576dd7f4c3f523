// A tiny torchrun for tests: starts `world` processes of a program with RANK, LOCAL_RANK,
// WORLD_SIZE, MASTER_ADDR=127.0.0.1 and a free MASTER_PORT, and waits for all of them with a
// deadline (stragglers are killed), so a multi-process test can fail but never hang CI.
// Used by test_distributed.cpp; the trainer's "2 processes == 1 process" test can reuse it with
// the sinkscope binary.
#pragma once

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace ss::test {

// A TCP port on loopback that was free a moment ago (the kernel picks it; the race is tiny).
inline int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  const bool ok = fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  if (fd >= 0) close(fd);
  if (!ok) throw std::runtime_error("free_port: cannot bind a loopback socket");
  return ntohs(addr.sin_port);
}

struct RankResult {
  bool timed_out = false;
  int exit_code = -1;  // -1 when killed by a signal or timed out
};

// Runs `program` with `args` (argv[1..]) as ranks 0..world-1 plus `extra_env` ("K=V") and the
// inherited environment. Returns one result per rank.
inline std::vector<RankResult> launch_ranks(const std::string& program, const std::vector<std::string>& args,
                                            int world, std::chrono::seconds deadline,
                                            const std::vector<std::string>& extra_env = {}) {
  const std::string port = std::to_string(free_port());
  // Everything the children need is built before fork(): between fork and exec only
  // async-signal-safe calls are allowed (torch's thread pools may hold locks in the parent).
  std::vector<std::string> argv_s = {program};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::vector<std::string>> envs(world);
  for (int r = 0; r < world; ++r) {
    // getenv() takes the first match: the rank's variables go before the inherited ones.
    envs[r] = {"WORLD_SIZE=" + std::to_string(world), "RANK=" + std::to_string(r),
               "LOCAL_RANK=" + std::to_string(r), "MASTER_ADDR=127.0.0.1", "MASTER_PORT=" + port};
    envs[r].insert(envs[r].end(), extra_env.begin(), extra_env.end());
    for (char** e = environ; *e; ++e) envs[r].push_back(*e);
  }
  std::vector<pid_t> pids;
  for (int r = 0; r < world; ++r) {
    std::vector<char*> envp;
    for (auto& kv : envs[r]) envp.push_back(kv.data());
    envp.push_back(nullptr);
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("launch_ranks: fork failed");
    if (pid == 0) {
      execve(program.c_str(), argv.data(), envp.data());
      _exit(127);
    }
    pids.push_back(pid);
  }
  std::vector<RankResult> results(world);
  std::vector<bool> done(world, false);
  int running = world;
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (running > 0 && std::chrono::steady_clock::now() < end) {
    for (int r = 0; r < world; ++r) {
      int status = 0;
      if (done[r] || waitpid(pids[r], &status, WNOHANG) != pids[r]) continue;
      done[r] = true;
      --running;
      results[r].exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (int r = 0; r < world; ++r) {
    if (done[r]) continue;
    kill(pids[r], SIGKILL);
    waitpid(pids[r], nullptr, 0);
    results[r].timed_out = true;
  }
  return results;
}

}  // namespace ss::test
