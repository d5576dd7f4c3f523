// Scaled dot-product attention with the named hook points every engine shares, and the ways of
// turning logits into weights that sinkscope compares (llm-sinks.md §4).
#pragma once

#include <ATen/ATen.h>

#include <string>

#include "nn/attention_kind.h"
#include "nn/hooks.h"

namespace ss::nn {


struct AttnOp {
  AttnKind kind = AttnKind::Softmax;
  at::Tensor sink_logits;   // [H] for SinkLogit; Softmax1 needs none (the logit is 0)
  double sigmoid_bias = 0;  // b for Sigmoid
};

// q: [B, H, Tq, d], k, v: [B, H, Tk, d]; returns [B, H, Tq, d]. `prefix` names the hook points
// (e.g. "blocks.3.attn"): `<prefix>.probs` [B, H, Tq, Tk] is materialised only when a hook wants it
// (and may be edited); otherwise the fused kernel of libtorch >= 2 is used where available. For the
// sink kinds the saved probs sum to less than 1 (the rest went to the sink); for Sigmoid/Elu1 they
// are the unnormalised weights. `mask`, when defined, is boolean [Tq, Tk] (or broadcastable):
// true = may attend; masked weights are exactly 0 for every kind.
at::Tensor attend(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const Hooks& hooks,
                  const std::string& prefix, const at::Tensor& mask = {}, const AttnOp& op = {});

}  // namespace ss::nn
