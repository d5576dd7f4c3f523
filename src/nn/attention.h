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
// `sink_logits`, when defined, is [H]: one extra logit column per head that takes probability mass
// but contributes no value - gpt-oss's learned sinks; all zeros = softmax1 ("attention is off by
// one"): p_ij = exp(x_ij) / (exp(s_h) + sum_j' exp(x_ij')) (llm-sinks.md §4.4). The saved probs then
// sum to less than 1; the missing mass went to the sink.
at::Tensor softmax_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const Hooks& hooks,
                             const std::string& prefix, const at::Tensor& mask = {},
                             const at::Tensor& sink_logits = {});

}  // namespace ss::nn
