// Whole-file writes that never leave half a file behind: the bytes go to "<path>.tmp", which is
// renamed over `path` only once complete (rename is atomic within a file system).
#pragma once

#include <string>

namespace ss::io {

// Throws ss::Error "<path>: cannot write (<reason>)" and removes the temporary on failure.
void write_file_atomic(const std::string& path, const std::string& bytes);

}  // namespace ss::io
