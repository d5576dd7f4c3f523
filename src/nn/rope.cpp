#include "nn/rope.h"

#include <cmath>

namespace ss::nn {

Rope::Rope(const DecoderConfig& c) : rot_(c.rotary_dim), style_(c.rope_style) {
  // HF: 1 / (base ** (arange(0, dim, 2) / dim)) in float32.
  inv_freq_ = 1.0 / at::pow(c.rope_theta, at::arange(0, rot_, 2, at::kLong).to(at::kFloat) / static_cast<double>(rot_));
  if (c.rope_scaling == RopeScaling::Linear) {
    inv_freq_ = inv_freq_ / c.rope_factor;
  } else if (c.rope_scaling == RopeScaling::Llama3) {
    // transformers _compute_llama3_parameters: keep high frequencies, divide low ones by the factor,
    // interpolate smoothly in between (wavelength measured against the original context).
    const double old_ctx = static_cast<double>(c.rope_original_max);
    const double low_wavelen = old_ctx / c.rope_low_freq, high_wavelen = old_ctx / c.rope_high_freq;
    auto f = inv_freq_.accessor<float, 1>();
    for (int64_t i = 0; i < f.size(0); ++i) {
      const double freq = f[i], wavelen = 2 * M_PI / freq;
      if (wavelen > low_wavelen) {
        f[i] = static_cast<float>(freq / c.rope_factor);
      } else if (wavelen >= high_wavelen) {
        const double smooth = (old_ctx / wavelen - c.rope_low_freq) / (c.rope_high_freq - c.rope_low_freq);
        f[i] = static_cast<float>((1 - smooth) * freq / c.rope_factor + smooth * freq);
      }
    }
  }
}

RopeAngles Rope::angles(const at::Tensor& positions) const {
  const at::Tensor freqs = at::outer(positions.to(at::kFloat), inv_freq_);  // [T, rot/2]
  if (style_ == RopeStyle::Half) return {at::cat({freqs.cos(), freqs.cos()}, -1), at::cat({freqs.sin(), freqs.sin()}, -1)};
  return {freqs.cos(), freqs.sin()};
}

at::Tensor Rope::apply(const at::Tensor& x, const RopeAngles& a) const {
  const at::Tensor xr = x.slice(-1, 0, rot_).to(at::kFloat);
  at::Tensor out;
  if (style_ == RopeStyle::Half) {
    const auto halves = xr.chunk(2, -1);
    out = xr * a.cos + at::cat({-halves[1], halves[0]}, -1) * a.sin;
  } else {
    const auto pairs = xr.unflatten(-1, {rot_ / 2, 2}).unbind(-1);
    out = at::stack({pairs[0] * a.cos - pairs[1] * a.sin, pairs[0] * a.sin + pairs[1] * a.cos}, -1).flatten(-2);
  }
  out = out.to(x.scalar_type());
  return rot_ == x.size(-1) ? out : at::cat({out, x.slice(-1, rot_)}, -1);
}

}  // namespace ss::nn
