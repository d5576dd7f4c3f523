// Overflow-checked size arithmetic for untrusted shapes, offsets and lengths read from files.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "io/dtype.h"

namespace ss::io {

// a * b, or nullopt when it does not fit in 64 bits.
inline std::optional<uint64_t> checked_mul(uint64_t a, uint64_t b) {
  uint64_t r;
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}

// a + b, or nullopt when it does not fit in 64 bits.
inline std::optional<uint64_t> checked_add(uint64_t a, uint64_t b) {
  uint64_t r;
  if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
  return r;
}

// Number of elements of `shape`; nullopt for a negative dimension or when the product (or the
// byte size below) would not fit in int64. A zero dimension makes the product 0 whatever follows,
// as in the safetensors reference.
inline std::optional<uint64_t> checked_numel(const std::vector<int64_t>& shape) {
  uint64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return std::nullopt;
    auto next = checked_mul(n, static_cast<uint64_t>(d));
    if (!next || *next > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
    n = *next;
  }
  return n;
}

// Bytes of a contiguous tensor of `shape` and `dtype`, or nullopt on a negative dimension/overflow.
inline std::optional<uint64_t> checked_nbytes(const std::vector<int64_t>& shape, DType dtype) {
  auto n = checked_numel(shape);
  if (!n) return std::nullopt;
  auto bytes = checked_mul(*n, dtype_size(dtype));
  if (!bytes || *bytes > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
  return bytes;
}

// "[2, 3]": shapes in error messages.
inline std::string shape_str(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace ss::io
