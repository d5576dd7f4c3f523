// Register neurons (Jiang et al. 2025, "Vision Transformers Don't Need Trained Registers"): the MLP
// units whose activations write the high-norm outliers. Algorithm 1 finds them; a neuron file lists
// them for the test-time-register intervention (fix/tt_registers.h). vit-artifacts.md §4.2.
#pragma once

#include <ATen/ATen.h>

#include <nlohmann/json_fwd.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nn/vit.h"

namespace ss::fix {

// layer (0-indexed) -> neuron indices in rank order.
using NeuronMap = std::map<int64_t, std::vector<int64_t>>;

// Reads `{"register_neurons": {"<layer>": [n, ...]}, ...}` or the official repo's bare
// `{"<layer>": [n, ...]}`. Negative layers count from the end. Checks every index against the model
// (depth, mlp_hidden); throws ss::Error naming the file.
NeuronMap load_register_neurons(const std::filesystem::path& path, int64_t depth, int64_t mlp_hidden);
NeuronMap parse_register_neurons(const nlohmann::json& j, int64_t depth, int64_t mlp_hidden, const std::string& where);

struct FindOptions {
  std::optional<int64_t> detect_layer;  // negative counts from the end
  std::optional<double> threshold;      // tau: patch norm at the detection layer
  std::optional<int64_t> top_layer;     // highest layer whose neurons are ranked (K)
  int64_t lowest_layer = 0;
  std::optional<int64_t> top_k;  // N
  bool sparsity_filter = false;  // keep neurons with #{t: a < 0.5} >= 0.5 T (official notebook)
  int64_t batch = 8;
};

// The paper's per-family settings (Jiang §3.2 / A.12): DINOv2-L/14: detect -2, tau 150, layers <= 17,
// top 45; OpenCLIP-B/16: last layer, tau 75, layers <= 5, top 10. Other models get detect -1 and the
// A.4 heuristics, filled from the data by find_register_neurons (tau = mean + 3 std, K = the first
// outlier layer), and top 10. `source` names where the defaults came from.
FindOptions family_defaults(const nn::VitConfig& cfg, std::string* source = nullptr);

struct RankedNeuron {
  int64_t layer = 0, neuron = 0;
  double score = 0;
};

struct FindResult {
  std::vector<RankedNeuron> ranked;  // top_k, descending score
  int64_t detect_layer = 0, top_layer = 0, lowest_layer = 0, top_k = 0;
  double threshold = 0;
  bool sparsity_filter = false;
  int64_t images = 0, images_with_outliers = 0;
  std::string threshold_source, top_layer_source, defaults_source;
  NeuronMap neurons() const;
};

// Algorithm 1, batched: for every image with outlier patches (norm > tau at the detection layer),
// score each post-nonlinearity MLP unit of layers [lowest, K] by its mean |activation| over that
// image's outlier patches (times the sparsity indicator), average over those images, sort all
// (layer, neuron) pairs globally and keep the top N. `load(i, n)` returns preprocessed pixels of
// images i..i+n-1. Options left empty take family_defaults, then the data-driven heuristics.
FindResult find_register_neurons(const nn::VisionTransformer& model, int64_t images,
                                 const std::function<at::Tensor(int64_t, int64_t)>& load, FindOptions opts);

nlohmann::json to_json(const FindResult& r);

}  // namespace ss::fix
