// Token inputs from files: whitespace-separated ids, or a safetensors file with an `input_ids`
// tensor (integer, or float32 holding exact integers as in the fixtures).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ss::nn {

std::vector<int64_t> read_ids_file(const std::string& path);

}  // namespace ss::nn
