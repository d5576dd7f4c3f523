#include "io/path_list.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "util/error.h"

namespace ss::io {

std::vector<std::string> read_path_list(const std::string& file) {
  // A stream, not a mapping: `--list <(find ...)` hands over a pipe.
  if (std::filesystem::is_directory(file)) throw Error(file + ": is a directory; expected a file with one path per line");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(file + ": cannot read (" + std::strerror(errno) + ")");
  std::vector<std::string> paths;
  std::string line;
  for (int64_t n = 1; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find('\0') != std::string::npos)
      throw Error(file + ": line " + std::to_string(n) + " holds a NUL byte; expected one path per line");
    if (line.find_first_not_of(" \t") != std::string::npos) paths.push_back(line);  // a path keeps its spaces
  }
  if (in.bad()) throw Error(file + ": cannot read (" + std::strerror(errno) + ")");
  if (paths.empty()) throw Error(file + ": no paths in this list (expected one path per line)");
  return paths;
}

}  // namespace ss::io
