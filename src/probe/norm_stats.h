// Statistics of token L2 norms of the residual stream (before the final norm): the measurements of
// Darcet et al. 2024 §2 and Jiang et al. 2025 §3 / A.4 (vit-artifacts.md §2.2).
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

namespace ss::probe {

// Where the patches sit in a token sequence: [prefix (CLS, dist, trained registers)] [patches,
// row-major grid_h x grid_w] [extra: test-time registers appended at run time].
struct TokenLayout {
  int64_t prefix = 1, grid_h = 0, grid_w = 0, extra = 0;
  int64_t patches() const { return grid_h * grid_w; }
  int64_t total() const { return prefix + patches() + extra; }
};

struct LayerNormStats {
  double mean = 0, std = 0, median = 0, p98 = 0, max = 0;
  double max_median_ratio = 0;
  double outlier_fraction = 0;    // fraction of patches with norm > the report's threshold
  double outlier_separation = 0;  // median norm of the detection-layer outliers / median of the others
  double hist_max = 0;            // histogram range [0, hist_max]
  std::vector<int64_t> hist;
};

// Statistics of one layer's patch norms (any shape; flattened). `threshold` defines outlier_fraction.
LayerNormStats layer_norm_stats(const at::Tensor& norms, double threshold, int bins);

// Jiang et al. A.4: tau = mean + 3 std of the patch norms (pooled over images) at the detection layer.
double default_threshold(const at::Tensor& detect_norms);

// The layer where the detection-layer outliers first separate from the other patches: the first layer
// l <= detect whose separation (median outlier norm / median other norm) reaches both 2 and half of the
// separation at the detection layer. -1 when there are no outliers or they never separate.
int64_t first_separating_layer(const std::vector<double>& separation, int64_t detect_layer);

// Darcet et al. Fig. 5a: cosine similarity of each patch's input embedding (patch projection, without
// position embedding) to its 4 neighbours, averaged over the neighbours that exist.
// `patch_embeds` [B, gh*gw, D] -> [B, gh, gw].
at::Tensor neighbour_redundancy(const at::Tensor& patch_embeds, int64_t grid_h, int64_t grid_w);

// Negative layer indices count from the end (-1 = last). Throws ss::UsageError naming `flag`.
int64_t resolve_layer(int64_t layer, int64_t depth, const char* flag);

}  // namespace ss::probe
