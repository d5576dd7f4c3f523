// Helpers shared by the tokenizer tests: files in and out, and an assertion that a call fails
// with a one-line ss::Error that names the file and says what was wrong.
#pragma once

#include <gtest/gtest.h>

#include <time.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "util/error.h"

namespace ss::test {

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// The first `n` lines of a text file, without their newlines.
inline std::vector<std::string> read_lines(const std::filesystem::path& path, size_t n) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; lines.size() < n && std::getline(in, line);) lines.push_back(line);
  return lines;
}

// CPU seconds used by the calling thread: speed checks stay meaningful when ctest -j runs
// other tests on the same cores.
inline double thread_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

}  // namespace ss::test

// `stmt` throws ss::Error whose one-line message contains each of the given substrings.
#define EXPECT_SS_ERROR(stmt, ...)                                                          \
  do {                                                                                      \
    try {                                                                                   \
      stmt;                                                                                 \
      ADD_FAILURE() << "expected ss::Error from " #stmt;                                    \
    } catch (const ::ss::Error& e) {                                                        \
      const std::string msg = e.what();                                                     \
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;                                  \
      for (const char* part : {__VA_ARGS__})                                                \
        EXPECT_NE(msg.find(part), std::string::npos) << "'" << part << "' not in: " << msg; \
    }                                                                                       \
  } while (0)
