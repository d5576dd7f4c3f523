// Random weights for any supported ViT shape, so benchmarks and tests need no download.
#pragma once

#include <cstdint>

#include "nn/state_dict.h"
#include "nn/vit_config.h"

namespace ss::nn {

// Canonical weights (vit_weights.h) drawn deterministically from `seed`: matrices ~N(0, 0.02) as in
// timm/DINOv2 init, biases 0, norm weights 1, LayerScale 1 (the hub's init_values), tokens ~N(0, 0.02).
StateDict random_vit_weights(const VitConfig& c, uint64_t seed);

}  // namespace ss::nn
