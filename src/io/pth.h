// PyTorch torch.save checkpoints (.pth, .pt, .bin such as pytorch_model.bin): a zip archive with
// the pickled object at "<prefix>/data.pkl" and each storage's raw bytes at "<prefix>/data/<key>".
// The pickle runs in the restricted VM (io/pickle.h) with only tensor-rebuilding globals allowed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "io/raw_tensor.h"

namespace ss::io {

// Every tensor in the checkpoint, in pickle order, named by its nested dict keys (and list
// indices) joined with "." ({'model': {'a.weight': t}} gives "model.a.weight"); other values are
// skipped. Contiguous tensors point into their loaded storage (shared by views of it); strided
// ones are copied to C order. Throws ss::Error for the legacy pre-1.6 format, big-endian files,
// any global outside the tensor allowlist, and missing or undersized storages.
std::vector<RawTensor> read_pth(const std::string& path);

// Whether the first bytes of a file are torch.save output: the zip format or the legacy one.
bool is_torch_save(const uint8_t* head, size_t size);

}  // namespace ss::io
