// A small DINOv2-layout ViT with a known artifact mechanism, so diagnostics and fixes can be tested
// without a large pretrained checkpoint (issue #4, "Proving it works here"; docs/planted-model.md).
//
// The weights are random (nn::random_vit_weights) except for four planted circuits:
//   1. the patch embedding writes high-pass ("texture") filter responses into chosen directions;
//   2. block 0's MLP turns them into a texture-energy feature, sum_f |r_f| (pairs gelu(s r) + gelu(-s r));
//   3. the planted neurons of block `layer` fire when that energy is low (flat patches) and write a
//      large vector along the sink direction u into the residual stream;
//   4. in every later block the sink heads' keys read u and their queries carry a constant bias, so
//      attention (from CLS and from every patch) concentrates on the high-norm tokens.
// Nothing is hard-coded per token: which patches become outliers depends only on the image.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "nn/state_dict.h"
#include "nn/vit_config.h"

namespace ss::probe {

struct PlantSpec {
  int64_t layer = 2;  // block whose MLP holds the register neurons (0-indexed)
  std::vector<int64_t> neurons{37, 158, 301};
  std::vector<int64_t> sink_heads{0, 1};  // heads of the later blocks whose keys read u
  uint64_t seed = 0;
  int64_t texture_filters = 8;
  double write_scale = 20.0;  // fc2 column of each planted neuron = write_scale * u
  double fire_bias = 2.0;     // pre-activation of the first planted neuron on a flat patch (x0.9, x0.8, ... next)
  double energy_gain = 2.0;   // how strongly texture energy switches the planted neurons off
  double query_bias = 2.0;    // sink heads: constant query component
  double key_gain = 1.5;      // sink heads: key component per unit of LN(x) along u
};

struct PlantedModel {
  nn::VitConfig config;
  nn::StateDict weights;  // canonical names (nn/vit_weights.h)
  PlantSpec spec;
};

// `config_json` holds the `sinkscope init` shape keys plus an optional "plant" object with the
// PlantSpec fields. The family must be dinov2, patch 14, with LayerScale; throws ss::Error otherwise.
PlantedModel build_planted_model(const nlohmann::json& config_json);

// Writes model.safetensors + sinkscope.json (loadable by every command) and plant.json (the spec).
void write_planted_model(const PlantedModel& m, const std::filesystem::path& dir);

// Deterministic 256x256 RGB test images (the DINOv2 eval transform keeps the central 224x224, i.e.
// the 16x16 patch grid at pixel offset 16): textured noise everywhere except the patch cells listed
// in `flat_cells` (row-major indices into the 16x16 grid), which are filled with one flat colour.
std::vector<uint8_t> planted_test_image(uint64_t seed, const std::vector<int64_t>& flat_cells);
// Writes `count` such images as PNGs (img_000.png ...), each with a few flat cells; returns the paths
// and, through `flat`, the flat cells of each image.
std::vector<std::string> write_planted_images(const std::filesystem::path& dir, int count, uint64_t seed,
                                              std::vector<std::vector<int64_t>>* flat = nullptr);

nlohmann::json to_json(const PlantSpec& s);

}  // namespace ss::probe
