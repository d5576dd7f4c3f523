// The layout our safetensors writers produce, shared by write_safetensors and the streaming writer
// so that both give the same bytes for the same tensors: the reference serializer's order
// (descending dtype alignment, then name), tensors back to back from data offset 0, and the JSON
// header padded with spaces to a multiple of 8 so every tensor is aligned to its element size.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "io/dtype.h"
#include "io/raw_tensor.h"

namespace ss::io {

struct HeaderEntry {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  uint64_t nbytes = 0;  // of `shape` in `dtype`; the caller has checked it
};

// The entry for an in-memory tensor; throws ss::Error "<path>: tensor 'x' has N bytes of data,
// which does not match F32 [2, 3]" when its bytes and shape disagree.
HeaderEntry checked_entry(const std::string& path, const RawTensor& t);

// Refuses the reserved name "__metadata__" and duplicate names (ss::Error "<path>: ..."), then
// sorts `entries` into writing order.
void order_for_writing(const std::string& path, std::vector<HeaderEntry>& entries);

// The header JSON for `entries` (in writing order) laid back to back, padded with spaces to a
// multiple of 8. Throws ss::Error "<path>: cannot encode the header: ..." (e.g. a name or
// metadata value that is not UTF-8).
std::string encode_header(const std::string& path, const std::vector<HeaderEntry>& entries,
                          const std::map<std::string, std::string>& metadata);

// The 8-byte little-endian header length that starts the file.
std::string encode_header_length(uint64_t n);

}  // namespace ss::io
