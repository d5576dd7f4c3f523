// The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length N, N bytes of JSON describing every tensor, then one contiguous data buffer.
// Reading validates exactly what the reference implementation validates (Metadata::validate).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "io/raw_tensor.h"

namespace ss::io {

class SafetensorsFile {
 public:
  // Maps the file and validates its header; throws ss::Error "<path>: ..." on any malformation.
  // Each RawTensor's data points into the mapping (zero copy) and its owner keeps it mapped.
  static SafetensorsFile open(const std::string& path);

  // In data-offset order.
  const std::vector<RawTensor>& tensors() const { return tensors_; }
  // nullptr when there is no tensor of that name.
  const RawTensor* find(const std::string& name) const;
  // The header's "__metadata__" (empty when absent).
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  std::vector<RawTensor> tensors_;
  std::unordered_map<std::string, size_t> by_name_;
  std::map<std::string, std::string> metadata_;
};

// Writes `tensors` like the reference serializer: header padded with spaces to a multiple of 8,
// tensors ordered by descending dtype alignment then name (so every tensor is aligned to its
// element size in a mapping). Goes through "<path>.tmp" and a rename, so an error never leaves a
// half-written file at `path`. Throws ss::Error on duplicate names or inconsistent tensors.
void write_safetensors(const std::string& path, const std::vector<RawTensor>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace ss::io
