// Runs the sinkscope binary like a user: output (stdout + stderr) and exit code.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <functional>
#include <thread>
#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ss::test {

struct Result {
  int code = -1;
  std::string out;  // stdout + stderr
};

// Shell-quotes one argument.
inline std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// `args` is appended to the binary (already quoted by the caller); stderr is merged unless
// `stdout_only`, which keeps stderr out of the captured text.
inline Result run(const std::string& args, bool stdout_only = false, int threads = 2) {
  const std::string cmd = std::string(SS_CLI_BINARY) + " --threads " + std::to_string(threads) + " " + args +
                          (stdout_only ? " 2>/dev/null" : " 2>&1");
  Result r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

inline size_t count_lines(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

// A bad invocation and what must come back: the exit code (1 bad data, 2 usage) and one line
// containing `needle`.
// Starts the binary with `args` (one argv word each, output discarded), waits until `ready()`
// holds (at most 60 s), sends `sig` and returns the exit code (-1 when a signal killed it).
inline int run_and_interrupt(const std::vector<std::string>& args, const std::function<bool()>& ready,
                             int sig = SIGINT) {
  std::vector<std::string> words = {SS_CLI_BINARY, "--threads", "1"};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    const int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    dup2(devnull, 2);
    execv(argv[0], argv.data());
    _exit(127);
  }
  for (int i = 0; i < 600 && !ready(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  kill(pid, sig);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

struct ErrorCase {
  std::string args;
  int code;
  std::string needle;
};

inline void expect_one_line_errors(const std::vector<ErrorCase>& cases) {
  for (const auto& c : cases) {
    Result r = run(c.args);
    EXPECT_EQ(r.code, c.code) << c.args << "\n" << r.out;
    EXPECT_EQ(count_lines(r.out), 1u) << c.args << "\n" << r.out;
    EXPECT_NE(r.out.find(c.needle), std::string::npos) << c.args << "\n" << r.out;
  }
}

}  // namespace ss::test
