// Rotary position embeddings (Su et al.), in both layouts checkpoints use, with partial rotary
// (NeoX) and the linear / Llama-3 frequency scalings.
#pragma once

#include <ATen/ATen.h>

#include "nn/decoder_config.h"

namespace ss::nn {

class Rope {
 public:
  explicit Rope(const DecoderConfig& c);
  // x: [B, heads, T, head_dim]; positions: [T] int64. Rotates the first rotary_dim dims of each
  // head by angle position * inv_freq, computed in float32 like HF / llama2.c model.py.
  at::Tensor apply(const at::Tensor& x, const at::Tensor& positions) const;
  const at::Tensor& inv_freq() const { return inv_freq_; }

 private:
  at::Tensor inv_freq_;  // [rotary_dim / 2] float32
  int64_t rot_;
  RopeStyle style_;
};

}  // namespace ss::nn
