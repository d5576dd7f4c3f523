// One entry point for every checkpoint format: decides by what the file is, not by its name.
#pragma once

#include <filesystem>
#include <vector>

#include "io/raw_tensor.h"

namespace ss::io {

// Reads all tensors of the checkpoint at `p`:
//  - a "*.index.json" file: a sharded safetensors checkpoint (io/sharded.h);
//  - a file that starts like torch.save output (zip, or the refused legacy format): io/pth.h;
//  - any other file: safetensors (io/safetensors.h);
//  - a directory: the first of model.safetensors.index.json, model.safetensors,
//    open_clip_model.safetensors, pytorch_model.bin, open_clip_pytorch_model.bin in it.
// Throws ss::Error "<path>: ..." when nothing usable is there or the file is malformed.
std::vector<RawTensor> read_checkpoint(const std::filesystem::path& p);

}  // namespace ss::io
