#include "nn/finite_check.h"

#include "util/error.h"

namespace ss::nn {

const std::vector<std::string>& finite_check_patterns() {
  // '*' stays within one segment: top-level names (pixel_values, pos_embed, embeddings, tokens_in,
  // final_norm, image_embeds, logits) and block outputs; attention names are listed to leave out probs.
  static const std::vector<std::string> p = {"*",           "blocks.*.out",       "blocks.*.attn.q",
                                             "blocks.*.attn.k", "blocks.*.attn.v", "blocks.*.attn.gate",
                                             "blocks.*.attn.out", "blocks.*.mlp.*"};
  return p;
}

void install_finite_check(Hooks& hooks) {
  for (const auto& pattern : finite_check_patterns())
    hooks.add(pattern, [](const std::string& name, at::Tensor& t) {
      if (!t.is_floating_point() || at::isfinite(t).all().item<bool>()) return;
      const int64_t nan = at::isnan(t).sum().item<int64_t>();
      const int64_t inf = at::isinf(t).sum().item<int64_t>();
      throw Error("non-finite values first appear in " + name + " (" + std::to_string(nan) + " NaN, " +
                  std::to_string(inf) + " Inf of " + std::to_string(t.numel()) + " values)");
    });
}

}  // namespace ss::nn
