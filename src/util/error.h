// One exception type for every user-facing failure. The message is a single line that names the
// file, tensor or flag and says what was expected; apps/ turns it into "error: ..." and an exit code.
#pragma once

#include <stdexcept>
#include <string>

namespace ss {

// Bad data (a file, a tensor, an image): exit code 1.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// Bad usage (a flag value, a conflicting option): exit code 2.
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& what) : Error(what) {}
};

// Stopped by SIGINT/SIGTERM after saving what was done (partial results, a checkpoint): exit 130.
class Interrupted : public Error {
 public:
  explicit Interrupted(const std::string& what) : Error(what) {}
};

}  // namespace ss
