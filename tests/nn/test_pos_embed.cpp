// Position-embedding interpolation against scalar reference implementations of the formulas the
// original code relies on (fixtures/dinov2_vit_noreg_224/README.md; vit-artifacts.md §1.1): the
// 224 case is also covered end-to-end by the DINOv2 fixture; these pin 518 (native), 448x336 and
// other odd grids, in every mode.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "nn/pos_embed.h"

namespace ss::nn {
namespace {

// PyTorch's upsample_bicubic2d (align_corners=False): source = (o + 0.5) * s - 0.5 with s = 1/scale
// when a scale factor is given (else in/out); Keys cubic A = -0.75; 4 taps, indices clamped.
double keys_cubic(double x, double A) {
  x = std::abs(x);
  if (x <= 1) return ((A + 2) * x - (A + 3)) * x * x + 1;
  if (x < 2) return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
  return 0;
}

std::vector<std::vector<double>> bicubic_weights(int64_t in, int64_t out, double s, std::vector<int64_t>* first) {
  std::vector<std::vector<double>> w(out);
  first->resize(out);
  for (int64_t o = 0; o < out; ++o) {
    const double src = (o + 0.5) * s - 0.5;
    const auto i0 = static_cast<int64_t>(std::floor(src));
    const double t = src - i0;
    (*first)[o] = i0 - 1;
    w[o] = {keys_cubic(t + 1, -0.75), keys_cubic(t, -0.75), keys_cubic(1 - t, -0.75), keys_cubic(2 - t, -0.75)};
  }
  return w;
}

// Antialiased bicubic (PIL-style, as torch's _upsample_bicubic2d_aa): support 2 * max(in/out, 1),
// Keys A = -0.5, weights normalised, taps outside the input dropped.
std::vector<std::vector<double>> aa_weights(int64_t in, int64_t out, std::vector<int64_t>* first) {
  const double scale = static_cast<double>(in) / out;
  const double stretch = std::max(scale, 1.0), support = 2.0 * stretch;
  std::vector<std::vector<double>> w(out);
  first->resize(out);
  for (int64_t o = 0; o < out; ++o) {
    const double center = scale * (o + 0.5);
    const auto lo = std::max<int64_t>(static_cast<int64_t>(center - support + 0.5), 0);
    const auto hi = std::min<int64_t>(static_cast<int64_t>(center + support + 0.5), in);
    double total = 0;
    for (int64_t j = lo; j < hi; ++j) {
      w[o].push_back(keys_cubic((j - center + 0.5) / stretch, -0.5));
      total += w[o].back();
    }
    for (double& x : w[o]) x /= total;
    (*first)[o] = lo;
  }
  return w;
}

// Separable resampling of a [M, M, D] grid with per-axis weights; indices clamped to the grid.
at::Tensor resample(const at::Tensor& grid, const std::vector<std::vector<double>>& wy,
                    const std::vector<int64_t>& fy, const std::vector<std::vector<double>>& wx,
                    const std::vector<int64_t>& fx) {
  const int64_t M = grid.size(0), D = grid.size(2);
  auto g = grid.to(at::kDouble).contiguous();
  const double* src = g.data_ptr<double>();
  at::Tensor out = at::zeros({static_cast<int64_t>(wy.size()), static_cast<int64_t>(wx.size()), D}, at::kDouble);
  double* dst = out.data_ptr<double>();
  auto clamp = [M](int64_t i) { return std::min<int64_t>(std::max<int64_t>(i, 0), M - 1); };
  for (size_t y = 0; y < wy.size(); ++y)
    for (size_t x = 0; x < wx.size(); ++x)
      for (size_t a = 0; a < wy[y].size(); ++a)
        for (size_t b = 0; b < wx[x].size(); ++b) {
          const int64_t sy = clamp(fy[y] + static_cast<int64_t>(a)), sx = clamp(fx[x] + static_cast<int64_t>(b));
          const double w = wy[y][a] * wx[x][b];
          for (int64_t d = 0; d < D; ++d) dst[(y * wx.size() + x) * D + d] += w * src[(sy * M + sx) * D + d];
        }
  return out;
}

at::Tensor reference(const at::Tensor& pos, int64_t prefix, int64_t h0, int64_t w0, PosInterp mode, double off) {
  const int64_t M = static_cast<int64_t>(std::llround(std::sqrt(double(pos.size(0) - prefix))));
  // The original code returns the table untouched at the native grid (even in the +0.1 mode, where
  // resampling would shift it by the offset).
  if (h0 == M && w0 == M) return pos.to(at::kDouble);
  const at::Tensor grid = pos.slice(0, prefix).reshape({M, M, -1});
  std::vector<int64_t> fy, fx;
  std::vector<std::vector<double>> wy, wx;
  if (mode == PosInterp::SizeAntialias) {
    wy = aa_weights(M, h0, &fy);
    wx = aa_weights(M, w0, &fx);
  } else {
    const double sy = mode == PosInterp::ScaleOffset ? M / (h0 + off) : double(M) / h0;
    const double sx = mode == PosInterp::ScaleOffset ? M / (w0 + off) : double(M) / w0;
    wy = bicubic_weights(M, h0, sy, &fy);
    wx = bicubic_weights(M, w0, sx, &fx);
  }
  at::Tensor patches = resample(grid, wy, fy, wx, fx).reshape({h0 * w0, -1});
  return at::cat({pos.slice(0, 0, prefix).to(at::kDouble), patches}, 0);
}

struct Case {
  int64_t h0, w0;
};

TEST(PosEmbed, MatchesTheReferenceFormulasInEveryMode) {
  at::manual_seed(0);
  const at::Tensor pos = at::randn({1 + 37 * 37, 8}) * 0.5;
  // 224/14 = 16; 448x336 -> 32x24; 518 = native 37 (identity); upsampling 40x52; tiny 1x3.
  for (Case c : {Case{16, 16}, Case{32, 24}, Case{37, 37}, Case{40, 52}, Case{1, 3}}) {
    for (PosInterp mode : {PosInterp::ScaleOffset, PosInterp::SizeAntialias, PosInterp::Size}) {
      const double off = mode == PosInterp::ScaleOffset ? 0.1 : 0.0;
      const at::Tensor got = interpolate_pos_embed(pos, 1, c.h0, c.w0, mode, off);
      const at::Tensor exp = reference(pos, 1, c.h0, c.w0, mode, off);
      ASSERT_EQ(got.sizes(), exp.sizes());
      const double diff = (got.to(at::kDouble) - exp).abs().max().item<double>();
      EXPECT_LE(diff, 1e-5) << interp_name(mode) << " " << c.h0 << "x" << c.w0;
    }
  }
}

TEST(PosEmbed, NativeGridIsUntouchedAndModesDifferElsewhere) {
  at::manual_seed(1);
  const at::Tensor pos = at::randn({2 + 14 * 14, 4});  // DeiT: CLS + dist rows
  EXPECT_TRUE(at::equal(interpolate_pos_embed(pos, 2, 14, 14, PosInterp::Size, 0), pos));
  const at::Tensor a = interpolate_pos_embed(pos, 2, 10, 12, PosInterp::ScaleOffset, 0.1);
  const at::Tensor b = interpolate_pos_embed(pos, 2, 10, 12, PosInterp::Size, 0);
  EXPECT_TRUE(at::equal(a.slice(0, 0, 2), pos.slice(0, 0, 2))) << "prefix rows are never resized";
  EXPECT_GT((a - b).abs().max().item<double>(), 1e-3) << "the +0.1 scale-factor mapping is not a size resize";
}

}  // namespace
}  // namespace ss::nn
