#include "nn/stream.h"

#include <unistd.h>

#include <algorithm>
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

// Tokens per batched recompute forward (windows of W tokens: max(1, this / W) of them at once).
constexpr int64_t kRecomputeBatchTokens = 2048;

float next_token_nll(const at::Tensor& logits_row, int64_t target) {
  return -at::log_softmax(logits_row.to(at::kFloat), -1)[target].item<float>();
}

}  // namespace

StreamResult stream_nll(const DecoderLM& model, const std::vector<int64_t>& ids, const CachePolicy& policy,
                        const std::function<bool(int64_t)>& on_token, int64_t dense_limit, const Hooks* hooks) {
  StreamResult r;
  r.policy = policy;
  r.rss_start_kb = current_rss_kb();
  const auto& cfg = model.config();
  const auto t0 = std::chrono::steady_clock::now();
  const Hooks none;
  const Hooks& h = hooks ? *hooks : none;
  KVCache cache(cfg.layers);
  const int64_t n = static_cast<int64_t>(ids.size());
  const std::vector<int64_t> model_ids = model_prefix(cfg);
  const int64_t prefix = static_cast<int64_t>(model_ids.size()) < n &&
                                 std::equal(model_ids.begin(), model_ids.end(), ids.begin())
                             ? static_cast<int64_t>(model_ids.size())
                             : 0;
  // Book-keeping after the NLL of token t + 1 is known; false when the stream must stop.
  auto record = [&](int64_t t, int64_t pos, const at::Tensor& logits_row) {
    if (pos >= cfg.max_positions && r.extrapolated_after < 0) r.extrapolated_after = t;
    r.nll.push_back(next_token_nll(logits_row, ids[t + 1]));
    if ((t + 1) % StreamResult::kSampleEvery == 0)
      r.samples.push_back({t + 1, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                           current_rss_kb()});
    if (on_token && !on_token(t + 1)) {
      r.stopped = "interrupted";
      return false;
    }
    return true;
  };
  for (int64_t t = 0; t + 1 < n;) {
    if (policy.kind == CachePolicy::Recompute) {
      // The quality oracle: rebuild the window's cache from scratch for every token, O(T W^2): the
      // last W tokens, after the model's own prefix (a learned sink token, StreamingLLM §3.3), which
      // the model saw before every training sequence and so belongs in every window.
      // Full windows are independent forward passes, so up to kRecomputeBatchTokens of them run as
      // one batch: the same numbers (to float rounding), far less per-call overhead on small models.
      const int64_t p = t < prefix ? 0 : prefix;  // while inside the prefix, the window is ids[0..t]
      const int64_t W = policy.window, first = std::max(p, t - W + 1), text = t - first + 1;
      const int64_t batch = text < W ? 1 : std::min(std::max<int64_t>(1, kRecomputeBatchTokens / W), n - 1 - t);
      const auto span = std::vector<int64_t>(ids.begin() + first, ids.begin() + t + batch);
      at::Tensor windows = at::tensor(span, at::kLong).unfold(0, text, 1);  // [batch, text]
      if (p > 0)
        windows = at::cat(
            {at::tensor(std::vector<int64_t>(ids.begin(), ids.begin() + p), at::kLong).expand({batch, p}), windows}, 1);
      const int64_t len = p + text;
      const at::Tensor logits =
          model.forward(windows.contiguous(), at::arange(len, at::kLong), nullptr, h).select(1, len - 1);
      bool go = true;
      for (int64_t b = 0; b < batch && go; ++b) go = record(t + b, len - 1, logits[b]);
      t += batch;
      if (!go) break;
      continue;
    }
    const int64_t pos = cache.length();  // slot position (== t for the dense cache)
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
    const at::Tensor logits =
        model.forward(at::full({1, 1}, ids[t], at::kLong), at::full({1}, pos, at::kLong), &cache, h)[0][-1];
    r.max_cache_entries = std::max(r.max_cache_entries, cache.length());
    cache.trim(policy, model.rope());
    if (!record(t, pos, logits)) break;
    ++t;
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.rss_end_kb = current_rss_kb();
  return r;
}

}  // namespace ss::nn
