// Rotary position embeddings (Su et al.), in both layouts checkpoints use, with partial rotary
// (NeoX) and the linear / Llama-3 frequency scalings.
#pragma once

#include <ATen/ATen.h>

#include "nn/decoder_config.h"

namespace ss::nn {

// cos/sin of the rotation angles of some positions, computed once per forward pass and shared by
// q and k of every layer.
struct RopeAngles {
  at::Tensor cos, sin;  // [T, rotary_dim] (half layout) or [T, rotary_dim / 2] (interleaved)
};

class Rope {
 public:
  explicit Rope(const DecoderConfig& c);
  // positions: [T] int64; angles position * inv_freq, computed in float32 like HF / llama2.c model.py.
  RopeAngles angles(const at::Tensor& positions) const;
  // x: [B, heads, T, head_dim]. Rotates the first rotary_dim dims of each head.
  at::Tensor apply(const at::Tensor& x, const RopeAngles& a) const;
  at::Tensor apply(const at::Tensor& x, const at::Tensor& positions) const { return apply(x, angles(positions)); }
  const at::Tensor& inv_freq() const { return inv_freq_; }

 private:
  at::Tensor inv_freq_;  // [rotary_dim / 2] float32
  int64_t rot_;
  RopeStyle style_;
};

}  // namespace ss::nn
