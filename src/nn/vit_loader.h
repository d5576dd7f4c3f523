// Turns a checkpoint a user downloaded (HF folder, original .pth/.safetensors, OpenCLIP file) into a
// VitConfig plus canonical weights: detects the family and layout, infers what tensor shapes
// determine, fills the rest from config.json / model_args.json / the family's official conventions,
// and refuses when something stays ambiguous.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "nn/state_dict.h"
#include "nn/vit_config.h"
#include "nn/vit_weights.h"

namespace ss::nn {

struct VitLoadOptions {
  // Overrides with the keys of the official constructors (num_heads/heads, interpolate_offset,
  // interpolate_antialias, num_register_tokens, act/quick_gelu, layer_norm_eps). When empty, a
  // model_args.json beside the checkpoint is read if present.
  std::filesystem::path model_args;
  std::optional<std::string> activation;  // --act: quick_gelu | gelu | gelu_tanh
};

struct VitCheckpoint {
  VitConfig config;
  VitLayout layout = VitLayout::Dinov2Original;
  StateDict weights;                 // canonical names (vit_weights.h)
  std::vector<std::string> ignored;  // file tensors the vision model does not use
  std::filesystem::path weights_path;
  std::vector<std::string> config_sources;  // files and conventions the config came from
};

VitCheckpoint load_vit_checkpoint(const std::filesystem::path& path, const VitLoadOptions& opts = {});

}  // namespace ss::nn
