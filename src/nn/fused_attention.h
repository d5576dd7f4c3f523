// Causal softmax attention with a hand-written backward, for the training path of nn::DecoderLM:
// per (batch, kv head) in cache-sized register tiles that skip the masked triangle, with the
// scale, mask and softmax fused in between and grouped-query heads reading their kv head directly
// (no repeated keys). The math of attend() with AttnKind::Softmax and a causal mask.
#pragma once

#include <ATen/ATen.h>

namespace ss::nn {

// q: [B, H, T, d], k, v: [B, KV, T, d] float32 with H a multiple of KV (query head j reads kv head
// j / (H / KV)); query t attends to keys 0..t. Returns softmax(q k^T / sqrt(d) + causal mask) v,
// [B, H, T, d]. Differentiable in q, k, v.
at::Tensor fused_causal_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v);

}  // namespace ss::nn
