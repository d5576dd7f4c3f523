// Sharded safetensors checkpoints: an index JSON (model.safetensors.index.json) whose "weight_map"
// maps every tensor name to the shard file holding it, relative to the index's folder.
#pragma once

#include <string>
#include <vector>

#include "io/raw_tensor.h"

namespace ss::io {

// Every tensor the index lists, shard by shard (shards in name order, tensors in offset order).
// Each shard is opened once and stays mapped while its tensors live. Throws ss::Error when the
// index is malformed, a shard is missing or invalid, or a shard lacks a tensor the index assigns to
// it.
std::vector<RawTensor> read_safetensors_index(const std::string& index_path);

}  // namespace ss::io
