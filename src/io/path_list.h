// Lists of file paths, one per line (`trace --list FILE`): a long run over thousands of images
// without an argument list the shell would refuse.
#pragma once

#include <string>
#include <vector>

namespace ss::io {

// The paths in `file`, one per line, as written (relative paths stay relative to the working
// directory, like paths given on the command line; spaces are kept). Blank lines (empty or only
// spaces and tabs) are skipped and a trailing '\r' (a list saved on Windows) is dropped. Throws
// ss::Error "<file>: ..." when the file cannot be read or holds no path.
std::vector<std::string> read_path_list(const std::string& file);

}  // namespace ss::io
