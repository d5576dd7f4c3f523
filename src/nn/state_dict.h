// Checkpoint tensors as torch tensors, and torch tensors back to file tensors.
#pragma once

#include <ATen/ATen.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "io/raw_tensor.h"

namespace ss::nn {

using StateDict = std::map<std::string, at::Tensor>;

// Reads any checkpoint that io::read_checkpoint understands. Tensors keep their file dtype; F32
// tensors whose bytes are suitably aligned alias the memory map (no copy) and must not be written.
StateDict load_state_dict(const std::filesystem::path& path);

// Wraps a file tensor without copying when its alignment allows, else copies it.
at::Tensor to_tensor(const io::RawTensor& raw);

// A contiguous CPU copy of `t` as a file tensor (its bytes are owned by the result).
io::RawTensor to_raw(const std::string& name, const at::Tensor& t);

at::ScalarType to_scalar_type(io::DType t);
io::DType to_dtype(at::ScalarType t);  // throws ss::Error for types files cannot hold

}  // namespace ss::nn
