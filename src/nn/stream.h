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
};

// `on_token(done)` reports progress; returning false stops early (results so far are kept).
StreamResult stream_nll(const DecoderLM& model, const std::vector<int64_t>& ids, const CachePolicy& policy,
                        const std::function<bool(int64_t)>& on_token = {});

// Resident set size of this process now, in KiB (Linux /proc/self/statm).
int64_t current_rss_kb();

}  // namespace ss::nn
