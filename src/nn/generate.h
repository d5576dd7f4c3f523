// Token-by-token generation with a KV cache: greedy (temperature 0) or temperature + top-p sampling.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "nn/decoder.h"

namespace ss::nn {

struct SamplingOptions {
  double temperature = 0.0;  // 0 = greedy argmax (first maximum on ties, as llama2.c and torch.argmax)
  double top_p = 1.0;        // nucleus sampling mass
  uint64_t seed = 0;
  std::optional<int64_t> stop_id;  // stop after emitting this id (EOS)
};

// Feeds `prompt` (non-empty) and emits up to `n` new ids. `on_token(id)` is called for each new id
// as soon as it is chosen (streaming); returning false stops early. Returns the new ids.
// `hooks` (e.g. --check-finite's) run on every forward; nullptr runs with none, at no cost.
std::vector<int64_t> generate(const DecoderLM& model, const std::vector<int64_t>& prompt, int64_t n,
                              const SamplingOptions& opts, const std::function<bool(int64_t)>& on_token = {},
                              const Hooks* hooks = nullptr);

// Samples one id from logits [V] (exposed for tests).
int64_t sample_token(const at::Tensor& logits, const SamplingOptions& opts, at::Generator& gen);

}  // namespace ss::nn
