#include "nn/stream.h"

#include <unistd.h>

#include <chrono>
#include <fstream>

namespace ss::nn {

int64_t current_rss_kb() {
  std::ifstream in("/proc/self/statm");
  int64_t size = 0, resident = 0;
  in >> size >> resident;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

namespace {

float next_token_nll(const at::Tensor& logits_row, int64_t target) {
  return -at::log_softmax(logits_row.to(at::kFloat), -1)[target].item<float>();
}

}  // namespace

StreamResult stream_nll(const DecoderLM& model, const std::vector<int64_t>& ids, const CachePolicy& policy,
                        const std::function<bool(int64_t)>& on_token, int64_t dense_limit) {
  StreamResult r;
  r.policy = policy;
  r.rss_start_kb = current_rss_kb();
  const auto& cfg = model.config();
  const auto t0 = std::chrono::steady_clock::now();
  Hooks none;
  KVCache cache(cfg.layers);
  const int64_t n = static_cast<int64_t>(ids.size());
  for (int64_t t = 0; t + 1 < n; ++t) {
    at::Tensor logits;
    int64_t pos = 0;
    if (policy.kind == CachePolicy::Recompute) {
      // The quality oracle: rebuild the window's cache from scratch for every token, O(T W^2).
      const int64_t first = std::max<int64_t>(0, t - policy.window + 1);
      const at::Tensor window = at::tensor(std::vector<int64_t>(ids.begin() + first, ids.begin() + t + 1), at::kLong);
      pos = t - first;
      logits = model.forward(window.unsqueeze(0), at::arange(t - first + 1, at::kLong), nullptr, none)[0][-1];
    } else {
      pos = cache.length();  // slot position (== t for the dense cache)
      if (policy.kind == CachePolicy::Dense && dense_limit > 0 && t >= dense_limit) {
        r.stopped = "dense cache stopped at " + std::to_string(dense_limit) +
                    " tokens (it grows with the stream; --dense-limit)";
        break;
      }
      if (cfg.pos == PosKind::Learned && pos >= cfg.max_positions) {
        r.stopped = "position " + std::to_string(pos) + " is beyond the model's " + std::to_string(cfg.max_positions) +
                    " learned positions (use a bounded cache)";
        break;
      }
      logits = model.forward(at::full({1, 1}, ids[t], at::kLong), at::full({1}, pos, at::kLong), &cache, none)[0][-1];
      r.max_cache_entries = std::max(r.max_cache_entries, cache.length());
      cache.trim(policy, model.rope());
    }
    if (pos >= cfg.max_positions && r.extrapolated_after < 0) r.extrapolated_after = t;
    r.nll.push_back(next_token_nll(logits, ids[t + 1]));
    if ((t + 1) % StreamResult::kSampleEvery == 0)
      r.samples.push_back({t + 1, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                           current_rss_kb()});
    if (on_token && !on_token(t + 1)) {
      r.stopped = "interrupted";
      break;
    }
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.rss_end_kb = current_rss_kb();
  return r;
}

}  // namespace ss::nn
