// `sinkscope inspect`: where the high-norm artifact tokens are and how bad they are (issue #4;
// vit-artifacts.md §2). Runs the model over images in batches, records per-token norms of every
// block output (pre-final-norm), CLS->token and mean received attention per head, and the input patch
// embeddings, then reduces them to per-layer statistics, an outlier set and localisation numbers.
// Optionally runs a second variant (a fix installed through hooks) on the same batches and measures
// how much the ordinary patches' final features move.
#pragma once

#include <ATen/ATen.h>

#include <nlohmann/json_fwd.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "nn/vit.h"
#include "probe/norm_stats.h"

namespace ss::probe {

struct InspectOptions {
  int64_t detect_layer = -1;        // negative counts from the end
  std::optional<double> threshold;  // default: mean + 3 std of patch norms at the detection layer
  int64_t batch = 8;
  bool attention = true;  // record attention (costs a T x T softmax per layer)
  int bins = 40;
  int64_t keep_images = 8;      // images whose pixels are kept for the report's pictures
  std::vector<int> resolution;  // {H, W}: dense-feature resize instead of the eval transform
};

// A model variant: hooks that change the forward pass, and how many tokens it appends after the
// patches (test-time registers).
struct Variant {
  std::string name = "baseline";
  std::function<void(nn::Hooks&)> install;
  int64_t extra_tokens = 0;
};

struct InspectResult {
  std::string name;
  TokenLayout layout;
  int64_t depth = 0, heads = 0, images = 0;
  int64_t detect_layer = 0;
  double threshold = 0;
  bool threshold_given = false;
  int64_t first_layer = -1;  // first layer where the outliers separate, -1 = none
  std::vector<LayerNormStats> layers;
  std::vector<std::vector<int64_t>> outliers;  // per image: patch indices (row-major) above threshold
  at::Tensor patch_norms;                      // [B, L, N]
  at::Tensor extra_norms;                      // [B, L, extra] norms of appended tokens, or undefined
  at::Tensor cls_attn;                         // [B, L, heads, N] CLS -> patch, or undefined
  // Per layer, per head: attention mass on the detection-layer outliers, averaged over the images that
  // have outliers; from CLS, and from every query token (mean over queries).
  std::vector<std::vector<double>> cls_to_outliers, all_to_outliers;
  std::vector<std::vector<double>> cls_to_extra;  // attention mass CLS -> appended tokens
  // Localisation (Darcet Fig. 5a): redundancy [B, gh, gw]; means over outliers vs other patches;
  // fraction of outliers on the patch-grid border vs the fraction of all patches on it.
  at::Tensor redundancy;
  double redundancy_outliers = 0, redundancy_others = 0, border_outliers = 0, border_all = 0;
  double outlier_fraction = 0;  // at the detection layer, over all images
  at::Tensor pictures;          // [K, 3, H, W] uint8 RGB of the first keep_images inputs
};

// Change of the final (post-norm) patch features between two variants, over the patches that are
// not outliers in the first one (and over all patches).
struct FeatureChange {
  double mean_cosine_ordinary = 1, min_cosine_ordinary = 1, mean_cosine_all = 1;
  double mean_relative_l2_ordinary = 0;  // |f1 - f0| / |f0|
};

struct InspectRun {
  std::vector<InspectResult> variants;
  std::optional<FeatureChange> change;  // variants[1] vs variants[0]
};

// One or two variants (the first is the reference for the outlier set used in the comparison).
InspectRun inspect_images(const nn::VisionTransformer& model, const std::vector<std::string>& images,
                          const InspectOptions& opts, const std::vector<Variant>& variants);
// Same with `load(i, n)` returning the preprocessed pixels of images i..i+n-1.
InspectRun inspect_batches(const nn::VisionTransformer& model, int64_t images,
                           const std::function<at::Tensor(int64_t, int64_t)>& load, const InspectOptions& opts,
                           const std::vector<Variant>& variants);
// Same on a preprocessed pixel batch (tests, fixtures).
InspectRun inspect_pixels(const nn::VisionTransformer& model, const at::Tensor& pixels, const InspectOptions& opts,
                          const std::vector<Variant>& variants);

// report.json content (docs/inspect.md): numbers, indices and names only.
nlohmann::json to_json(const InspectResult& r);
nlohmann::json to_json(const FeatureChange& c);
// The one-line verdict, e.g. "4.1% of patches are high-norm outliers from layer 17; they receive 63%
// of CLS attention (layer 18)".
std::string verdict(const InspectResult& r);

}  // namespace ss::probe
