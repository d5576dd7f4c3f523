// Token inputs from files: whitespace-separated ids, or a safetensors file with an `input_ids`
// tensor (integer, or float32 holding exact integers as in the fixtures).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ss::nn {

// Throws ss::Error "<path>: ..." for a missing file, a directory, a word that is not an id, or no ids.
std::vector<int64_t> read_ids_file(const std::string& path);

// One sequence per non-empty line of whitespace-separated ids (what `sinkscope data` writes).
// Throws ss::Error "<path>:<line>: ..." for a word that is not an id.
std::vector<std::vector<int64_t>> read_id_lines(const std::string& path);

}  // namespace ss::nn
