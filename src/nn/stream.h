// Streaming evaluation: feed a long token stream one token at a time through a cache policy and
// record the NLL of every next token (StreamingLLM's eval_long_ppl driver, with explicit sizes).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "nn/decoder.h"
#include "nn/kv_cache.h"

namespace ss::nn {

struct StreamResult {
  CachePolicy policy;
  std::vector<float> nll;       // nll[t] = -log p(ids[t + 1] | what the cache kept of ids[0..t])
  double seconds = 0;
  int64_t rss_start_kb = 0, rss_end_kb = 0;
  int64_t max_cache_entries = 0;
  int64_t extrapolated_after = -1;  // first position beyond the model's trained context, or -1
  std::string stopped;              // why the stream ended early (empty: it ran to the end)
  struct Sample {
    int64_t token;
    double seconds;
    int64_t rss_kb;
  };
  static constexpr int64_t kSampleEvery = 4096;
  std::vector<Sample> samples;      // elapsed time and RSS after every kSampleEvery tokens
};

// When `ids` starts with the model's prefix (model_prefix: a learned sink token), recompute:W puts
// it before every rebuilt window of the last W tokens; the cache policies keep or evict it like
// any other entry (a sink:S+W cache keeps it, window:W drops it).
// `on_token(done)` reports progress; returning false stops early (results so far are kept).
// A dense cache grows with the stream (O(n) memory and time per token); it stops after
// `dense_limit` tokens (0 = never) with the reason in `stopped`, so a long stream fails cleanly.
// `hooks` (e.g. --check-finite's) run on every forward; nullptr runs with none, at no cost.
StreamResult stream_nll(const DecoderLM& model, const std::vector<int64_t>& ids, const CachePolicy& policy,
                        const std::function<bool(int64_t)>& on_token = {}, int64_t dense_limit = 0,
                        const Hooks* hooks = nullptr);

// Resident set size of this process now, in KiB (Linux /proc/self/statm).
int64_t current_rss_kb();

}  // namespace ss::nn
