#include "nn/pos_embed.h"

#include <cmath>

#include "util/error.h"

namespace ss::nn {

at::Tensor interpolate_pos_embed(const at::Tensor& pos, int64_t prefix, int64_t h0, int64_t w0, PosInterp mode,
                                 double offset) {
  const at::Tensor p = pos.to(at::kFloat);
  const int64_t dim = p.size(1);
  const int64_t n = p.size(0) - prefix;
  const auto m = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(n))));
  // DINOv2 skips when the patch count matches and the image is square; a matching grid is the same.
  if (h0 == m && w0 == m) return p;
  const at::Tensor grid = p.slice(0, prefix).reshape({1, m, m, dim}).permute({0, 3, 1, 2});
  at::Tensor out;
  switch (mode) {
    case PosInterp::ScaleOffset: {
      const double sh = (static_cast<double>(h0) + offset) / static_cast<double>(m);
      const double sw = (static_cast<double>(w0) + offset) / static_cast<double>(m);
      // Output size as F.interpolate computes it from a scale factor: floor(M * scale).
      const auto oh = static_cast<int64_t>(std::floor(static_cast<double>(m) * sh));
      const auto ow = static_cast<int64_t>(std::floor(static_cast<double>(m) * sw));
      out = at::upsample_bicubic2d(grid, {oh, ow}, /*align_corners=*/false, sh, sw);
      break;
    }
    case PosInterp::SizeAntialias:
      out = at::_upsample_bicubic2d_aa(grid, {h0, w0}, /*align_corners=*/false, c10::nullopt, c10::nullopt);
      break;
    case PosInterp::Size:
      out = at::upsample_bicubic2d(grid, {h0, w0}, /*align_corners=*/false, c10::nullopt, c10::nullopt);
      break;
  }
  if (out.size(2) != h0 || out.size(3) != w0)
    throw Error("position grid " + std::to_string(m) + "x" + std::to_string(m) + " resized to " +
                std::to_string(out.size(2)) + "x" + std::to_string(out.size(3)) + " with interpolate_offset " +
                std::to_string(offset) + ", expected " + std::to_string(h0) + "x" + std::to_string(w0));
  return at::cat({p.slice(0, 0, prefix), out.permute({0, 2, 3, 1}).reshape({h0 * w0, dim})}, 0);
}

}  // namespace ss::nn
