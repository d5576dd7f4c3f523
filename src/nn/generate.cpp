#include "nn/generate.h"

#include <ATen/CPUGeneratorImpl.h>

#include "util/error.h"

namespace ss::nn {

int64_t sample_token(const at::Tensor& logits, const SamplingOptions& opts, at::Generator& gen) {
  if (opts.temperature <= 0.0) return logits.argmax().item<int64_t>();
  at::Tensor probs = at::softmax(logits.to(at::kDouble) / opts.temperature, -1);
  if (opts.top_p < 1.0) {
    // Keep the smallest set of most likely ids whose mass reaches top_p (Holtzman et al. 2020).
    auto sorted = probs.sort(-1, /*descending=*/true);
    const at::Tensor cum = std::get<0>(sorted).cumsum(-1);
    const at::Tensor drop = (cum - std::get<0>(sorted)) >= opts.top_p;
    at::Tensor kept = std::get<0>(sorted).masked_fill(drop, 0.0);
    probs = at::zeros_like(probs).scatter(-1, std::get<1>(sorted), kept);
  }
  return at::multinomial(probs, 1, false, gen).item<int64_t>();
}

std::vector<int64_t> generate(const DecoderLM& model, const std::vector<int64_t>& prompt, int64_t n,
                              const SamplingOptions& opts, const std::function<bool(int64_t)>& on_token,
                              const Hooks* hooks) {
  if (prompt.empty()) throw UsageError("generation needs a non-empty prompt (at least a BOS token)");
  if (opts.top_p <= 0.0 || opts.top_p > 1.0) throw UsageError("--top-p must be in (0, 1]");
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(opts.seed);
  KVCache cache(model.config().layers);
  const Hooks none;
  const Hooks& h = hooks ? *hooks : none;
  std::vector<int64_t> out;
  at::Tensor ids = at::tensor(prompt, at::kLong).unsqueeze(0);
  int64_t pos = 0;
  for (int64_t step = 0; step < n; ++step) {
    const at::Tensor positions = at::arange(pos, pos + ids.size(1), at::kLong);
    const at::Tensor logits = model.forward(ids, positions, &cache, h);
    pos += ids.size(1);
    const int64_t id = sample_token(logits[0][-1], opts, gen);
    out.push_back(id);
    if (on_token && !on_token(id)) break;
    if (opts.stop_id && id == *opts.stop_id) break;
    ids = at::full({1, 1}, id, at::kLong);
  }
  return out;
}

}  // namespace ss::nn
