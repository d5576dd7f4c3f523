// A tensor as read from a file, before it becomes a torch::Tensor: contiguous, C order,
// little-endian bytes that live as long as `owner` (a memory map or a heap buffer).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "io/dtype.h"

namespace ss::io {

struct RawTensor {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const uint8_t* data = nullptr;  // nbytes == numel * dtype_size(dtype)
  size_t nbytes = 0;
  std::shared_ptr<const void> owner;  // keeps `data` alive

  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
};

}  // namespace ss::io
