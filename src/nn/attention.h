// Scaled dot-product attention with the named hook points every engine shares.
#pragma once

#include <ATen/ATen.h>

#include <string>

#include "nn/hooks.h"

namespace ss::nn {

// q: [B, H, Tq, d], k, v: [B, H, Tk, d]; returns [B, H, Tq, d]. `prefix` names the hook points
// (e.g. "blocks.3.attn"): `<prefix>.probs` [B, H, Tq, Tk] is materialised only when a hook wants it
// (and may be edited); otherwise the fused kernel of libtorch >= 2 is used where available.
// `mask`, when defined, is boolean [Tq, Tk] (or broadcastable): true = may attend.
at::Tensor softmax_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const Hooks& hooks,
                             const std::string& prefix, const at::Tensor& mask = {});

}  // namespace ss::nn
