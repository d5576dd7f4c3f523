#include "probe/norm_stats.h"

#include <algorithm>
#include <cmath>

#include "util/error.h"

namespace ss::probe {

LayerNormStats layer_norm_stats(const at::Tensor& norms_in, double threshold, int bins) {
  LayerNormStats s;
  const at::Tensor n = norms_in.detach().to(at::kDouble).flatten();
  if (n.numel() == 0) return s;
  s.mean = n.mean().item<double>();
  s.std = n.numel() > 1 ? n.std(/*unbiased=*/false).item<double>() : 0.0;
  // The lower median, as torch.median: a value that exists in the data.
  s.median = n.median().item<double>();
  s.p98 = at::quantile(n, 0.98).item<double>();
  s.max = n.max().item<double>();
  s.max_median_ratio = s.median > 0 ? s.max / s.median : 0.0;
  s.outlier_fraction = n.gt(threshold).to(at::kDouble).mean().item<double>();
  s.hist_max = s.max > 0 ? s.max : 1.0;
  const at::Tensor h = at::histc(n, bins, 0.0, s.hist_max);
  s.hist.resize(static_cast<size_t>(bins));
  for (int b = 0; b < bins; ++b)
    s.hist[static_cast<size_t>(b)] = static_cast<int64_t>(std::llround(h[b].item<double>()));
  return s;
}

double default_threshold(const at::Tensor& detect_norms) {
  const at::Tensor n = detect_norms.detach().to(at::kDouble).flatten();
  if (n.numel() == 0) return 0.0;
  return (n.mean() + 3.0 * n.std(/*unbiased=*/false)).item<double>();
}

int64_t first_separating_layer(const std::vector<double>& separation, int64_t detect_layer) {
  if (detect_layer < 0 || detect_layer >= static_cast<int64_t>(separation.size())) return -1;
  const double at_detect = separation[static_cast<size_t>(detect_layer)];
  if (!(at_detect >= 2.0)) return -1;
  const double need = std::max(2.0, 0.5 * at_detect);
  for (int64_t l = 0; l <= detect_layer; ++l)
    if (separation[static_cast<size_t>(l)] >= need) return l;
  return -1;
}

at::Tensor neighbour_redundancy(const at::Tensor& patch_embeds, int64_t gh, int64_t gw) {
  const int64_t B = patch_embeds.size(0), D = patch_embeds.size(2);
  const at::Tensor x = patch_embeds.to(at::kFloat).reshape({B, gh, gw, D});
  const at::Tensor e = x / x.norm(2, -1, true).clamp_min(1e-12);
  at::Tensor sum = at::zeros({B, gh, gw});
  at::Tensor count = at::zeros({1, gh, gw});
  // Vertical neighbours: rows r and r+1; horizontal: columns c and c+1. Each pair counts for both.
  if (gh > 1) {
    const at::Tensor v = (e.slice(1, 0, gh - 1) * e.slice(1, 1)).sum(-1);
    sum.slice(1, 0, gh - 1) += v;
    sum.slice(1, 1) += v;
    count.slice(1, 0, gh - 1) += 1;
    count.slice(1, 1) += 1;
  }
  if (gw > 1) {
    const at::Tensor h = (e.slice(2, 0, gw - 1) * e.slice(2, 1)).sum(-1);
    sum.slice(2, 0, gw - 1) += h;
    sum.slice(2, 1) += h;
    count.slice(2, 0, gw - 1) += 1;
    count.slice(2, 1) += 1;
  }
  return sum / count.clamp_min(1);
}

int64_t resolve_layer(int64_t layer, int64_t depth, const char* flag) {
  const int64_t l = layer < 0 ? depth + layer : layer;
  if (l < 0 || l >= depth)
    throw UsageError(std::string(flag) + " " + std::to_string(layer) + ": the model has " + std::to_string(depth) +
                     " blocks (0.." + std::to_string(depth - 1) + ", or -1..-" + std::to_string(depth) + ")");
  return l;
}

}  // namespace ss::probe
