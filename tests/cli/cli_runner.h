// Runs the sinkscope binary like a user: output (stdout + stderr) and exit code.
#pragma once

#include <sys/wait.h>

#include <array>
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
inline Result run(const std::string& args, bool stdout_only = false) {
  const std::string cmd =
      std::string(SS_CLI_BINARY) + " --threads 2 " + args + (stdout_only ? " 2>/dev/null" : " 2>&1");
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
