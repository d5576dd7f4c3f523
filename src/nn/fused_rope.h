// The attention input of a training step in one pass: split the output of the stacked q|k|v
// projection into heads and apply rotary embeddings to q and k (HF "rotate half" layout, full
// rotary dim), writing q, k, v in the [B, heads, T, d] layout attention reads. Replaces view +
// transpose + slice + chunk + neg + cat + 2 mul + add per tensor (and their backward ops).
#pragma once

#include <ATen/ATen.h>

#include <array>

namespace ss::nn {

// qkv: [B, T, (H + 2 KV) d] float32 (q heads, then k heads, then v heads); cos, sin: [T, d] as
// RopeAngles holds them for the half layout (both halves equal). Returns q [B, H, T, d] and
// k [B, KV, T, d] rotated, v [B, KV, T, d], contiguous. Differentiable in qkv.
std::array<at::Tensor, 3> fused_qkv_rope(const at::Tensor& qkv, const at::Tensor& cos, const at::Tensor& sin,
                                         int64_t heads, int64_t kv_heads);

}  // namespace ss::nn
