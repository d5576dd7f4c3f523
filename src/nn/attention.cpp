#include "nn/attention.h"

#include <torch/version.h>

#include <cmath>
#include <limits>

namespace ss::nn {

namespace {

// p_ij = exp(x_ij) / (exp(s_h) + sum_j' exp(x_ij')): append the sink column, softmax over the
// extended row, drop the column (gpt-oss sdpa(); softmax subtracts the row max, so no overflow).
at::Tensor softmax_with_sink(const at::Tensor& logits, const at::Tensor& sink_logits) {
  const at::Tensor col = sink_logits.to(logits.scalar_type()).view({1, -1, 1, 1}).expand(
      {logits.size(0), logits.size(1), logits.size(2), 1});
  return at::softmax(at::cat({logits, col}, -1), -1).narrow(-1, 0, logits.size(-1));
}

}  // namespace

at::Tensor attend(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const Hooks& hooks,
                  const std::string& prefix, const at::Tensor& mask, const AttnOp& op) {
  const std::string probs_name = prefix + ".probs";
  const bool want_probs = hooks.wants(probs_name);
#if TORCH_VERSION_MAJOR >= 2
  if (!want_probs && op.kind == AttnKind::Softmax)
    return at::scaled_dot_product_attention(q, k, v, mask.defined() ? c10::optional<at::Tensor>(mask) : c10::nullopt);
#endif
  // Same order as DINOv2's Attention.forward: scale q first, then q @ k^T, weights, @ v.
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  at::Tensor logits = at::matmul(q * scale, k.transpose(-2, -1));
  const bool normalised = op.kind == AttnKind::Softmax || op.kind == AttnKind::Softmax1 || op.kind == AttnKind::SinkLogit;
  if (mask.defined() && normalised)
    logits = logits.masked_fill(mask.logical_not(), -std::numeric_limits<float>::infinity());
  at::Tensor probs;
  switch (op.kind) {
    case AttnKind::Softmax: probs = at::softmax(logits, -1); break;
    case AttnKind::Softmax1: probs = softmax_with_sink(logits, at::zeros({q.size(1)}, logits.options())); break;
    case AttnKind::SinkLogit: probs = softmax_with_sink(logits, op.sink_logits); break;
    case AttnKind::Sigmoid: probs = at::sigmoid(logits + op.sigmoid_bias); break;
    case AttnKind::Elu1: probs = at::elu(logits) + 1; break;
  }
  // Unnormalised weights: masked entries contribute exactly zero (a -inf logit would give elu = -1).
  if (mask.defined() && !normalised) probs = probs.masked_fill(mask.logical_not(), 0);
  if (want_probs) hooks.visit(probs_name, probs);
  return at::matmul(probs, v);
}

}  // namespace ss::nn
