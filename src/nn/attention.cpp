#include "nn/attention.h"

#include <torch/version.h>

#include <cmath>
#include <limits>

namespace ss::nn {

at::Tensor softmax_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const Hooks& hooks,
                             const std::string& prefix, const at::Tensor& mask, const at::Tensor& sink_logits) {
  const std::string probs_name = prefix + ".probs";
  const bool want_probs = hooks.wants(probs_name);
#if TORCH_VERSION_MAJOR >= 2
  if (!want_probs && !sink_logits.defined())
    return at::scaled_dot_product_attention(q, k, v, mask.defined() ? c10::optional<at::Tensor>(mask) : c10::nullopt);
#endif
  // Same order as DINOv2's Attention.forward: scale q first, then q @ k^T, softmax, @ v.
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  at::Tensor logits = at::matmul(q * scale, k.transpose(-2, -1));
  if (mask.defined()) logits = logits.masked_fill(mask.logical_not(), -std::numeric_limits<float>::infinity());
  at::Tensor probs;
  if (sink_logits.defined()) {
    // Append the sink column, softmax over the extended row, drop the column (gpt-oss sdpa()).
    const at::Tensor col = sink_logits.to(logits.scalar_type()).view({1, -1, 1, 1}).expand(
        {logits.size(0), logits.size(1), logits.size(2), 1});
    probs = at::softmax(at::cat({logits, col}, -1), -1).narrow(-1, 0, logits.size(-1));
  } else {
    probs = at::softmax(logits, -1);
  }
  if (want_probs) hooks.visit(probs_name, probs);
  return at::matmul(probs, v);
}

}  // namespace ss::nn
