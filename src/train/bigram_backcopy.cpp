#include "train/bigram_backcopy.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "util/error.h"

namespace ss::train {
namespace {

// Domain-separation tags so the table, the two splits and streams never share a random stream.
constexpr uint64_t kTableTag = 0x7AB1E5EEDull;
constexpr uint64_t kTrainTag = 0x5EA77A1Bull;
constexpr uint64_t kValidationTag = 0x7A11DA7Eull;
constexpr uint64_t kStreamTag = 0x57BEA3ull;
constexpr int64_t kMaxVocab = 65536;
constexpr int64_t kMaxTableEntries = int64_t{1} << 20;  // vocab * successors: memory and set-up time

// Stationary distribution of the chain over the non-BOS tokens (triggers included, as in the
// paper's frequency ranking): Cesaro average of the power iterates from the uniform distribution,
// which converges also for periodic chains.
std::vector<double> token_frequencies(const std::vector<std::vector<std::pair<int64_t, double>>>& p, int64_t vocab) {
  std::vector<double> dist(vocab, 1.0 / static_cast<double>(vocab - 1)), next(vocab), mean(vocab, 0.0);
  dist[0] = 0;
  constexpr int kIterations = 256;
  for (int it = 0; it < kIterations; ++it) {
    std::fill(next.begin(), next.end(), 0.0);
    for (int64_t a = 1; a < vocab; ++a)
      for (const auto& [b, prob] : p[a]) next[b] += dist[a] * prob;
    dist.swap(next);
    for (int64_t a = 0; a < vocab; ++a) mean[a] += dist[a];
  }
  return mean;
}

}  // namespace

BigramBackcopyConfig BigramBackcopyConfig::from_json(const nlohmann::json& j, const std::string& where) {
  const ConfigReader r(j, where);
  r.only({"kind", "vocab", "triggers", "successors", "seed", "table_seed"});
  BigramBackcopyConfig c;
  c.vocab = r.integer("vocab", c.vocab, 3, kMaxVocab);
  // At least one non-trigger token must remain: x_1 is drawn from them.
  c.triggers = r.integer("triggers", c.triggers, 0, c.vocab - 2);
  c.successors = r.integer("successors", c.successors, 1, c.vocab - 1);
  if (c.vocab * c.successors > kMaxTableEntries)
    r.fail("successors", "vocab * successors <= " + std::to_string(kMaxTableEntries) + ", got " +
                             std::to_string(c.vocab) + " * " + std::to_string(c.successors));
  c.seed = r.seed("seed", c.seed);
  c.table_seed = r.seed("table_seed", c.table_seed);
  return c;
}

BigramBackcopy::BigramBackcopy(const BigramBackcopyConfig& config, Split split) : config_(config), split_(split) {
  const int64_t v = config.vocab;
  if (v < 3 || v > kMaxVocab || config.triggers < 0 || config.triggers > v - 2 || config.successors < 1 ||
      config.successors > v - 1 || v * config.successors > kMaxTableEntries)
    throw Error("bigram-backcopy: need 3 <= vocab <= " + std::to_string(kMaxVocab) +
                ", 0 <= triggers <= vocab-2, 1 <= successors <= vocab-1, vocab*successors <= " +
                std::to_string(kMaxTableEntries) + " (got vocab " + std::to_string(v) +
                ", triggers " + std::to_string(config.triggers) + ", successors " +
                std::to_string(config.successors) + ")");

  // The table: per row, `successors` distinct next tokens (partial Fisher-Yates over 1..v-1) with
  // Dirichlet(1) weights (normalised Exp(1) draws).
  std::vector<std::vector<std::pair<int64_t, double>>> p(v);
  std::vector<int64_t> pool(v - 1);
  for (int64_t a = 1; a < v; ++a) {
    CounterRng rng(mix64(config.table_seed ^ kTableTag), static_cast<uint64_t>(a));
    std::iota(pool.begin(), pool.end(), 1);
    double total = 0;
    for (int64_t k = 0; k < config.successors; ++k) {
      const auto pick = k + static_cast<int64_t>(rng.below(static_cast<uint64_t>(v - 1 - k)));
      std::swap(pool[k], pool[pick]);
      const double w = 1e-12 - std::log1p(-rng.real());  // Exp(1), kept > 0; real() < 1 so finite
      p[a].emplace_back(pool[k], w);
      total += w;
    }
    std::sort(p[a].begin(), p[a].end());
    for (auto& e : p[a]) e.second /= total;
  }

  rows_.resize(v);
  for (int64_t a = 1; a < v; ++a) {
    double c = 0;
    for (const auto& [b, prob] : p[a]) {
      c += prob;
      rows_[a].next.push_back(b);
      rows_[a].cumulative.push_back(c);
    }
    rows_[a].cumulative.back() = 1.0;  // no rounding gap at the top
  }

  // Triggers: the most frequent tokens of the chain, as in the paper.
  const std::vector<double> freq = token_frequencies(p, v);
  std::vector<int64_t> order(v - 1);
  std::iota(order.begin(), order.end(), 1);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return freq[a] > freq[b]; });
  trigger_list_.assign(order.begin(), order.begin() + config.triggers);
  std::sort(trigger_list_.begin(), trigger_list_.end());
  is_trigger_.assign(v, 0);
  for (int64_t t : trigger_list_) is_trigger_[t] = 1;
  for (int64_t a = 1; a < v; ++a)
    if (!is_trigger_[a]) starters_.push_back(a);
}

bool BigramBackcopy::is_trigger(int64_t token) const {
  return token >= 0 && token < config_.vocab && is_trigger_[token];
}

double BigramBackcopy::transition(int64_t from, int64_t to) const {
  if (from <= 0 || from >= config_.vocab) return 0;
  const Row& row = rows_[from];
  for (size_t k = 0; k < row.next.size(); ++k)
    if (row.next[k] == to) return row.cumulative[k] - (k ? row.cumulative[k - 1] : 0.0);
  return 0;
}

std::vector<int64_t> BigramBackcopy::generate(uint64_t key, uint64_t index, int64_t n) const {
  CounterRng rng(key, index);
  std::vector<int64_t> ids;
  ids.reserve(n);
  ids.push_back(kBos);
  if (n > 1) ids.push_back(starters_[rng.below(starters_.size())]);
  while (static_cast<int64_t>(ids.size()) < n) {
    const size_t t = ids.size() - 1;
    if (is_trigger_[ids[t]]) {  // t >= 2 here: x_1 is never a trigger
      ids.push_back(ids[t - 1]);
      continue;
    }
    const Row& row = rows_[ids[t]];
    const double u = rng.real();
    const size_t k = std::upper_bound(row.cumulative.begin(), row.cumulative.end(), u) - row.cumulative.begin();
    ids.push_back(row.next[std::min(k, row.next.size() - 1)]);
  }
  return ids;
}

std::vector<int64_t> BigramBackcopy::sequence(int64_t index, int64_t length) const {
  if (index < 0) throw Error("bigram-backcopy: sequence index " + std::to_string(index) + " is negative");
  if (length < 2) throw Error("bigram-backcopy: sequence length " + std::to_string(length) + " < 2");
  const uint64_t tag = split_ == Split::Train ? kTrainTag : kValidationTag;
  return generate(mix64(config_.seed ^ tag), static_cast<uint64_t>(index), length);
}

std::vector<int64_t> BigramBackcopy::stream(int64_t n, uint64_t seed) const {
  if (n < 1) throw Error("bigram-backcopy: stream length " + std::to_string(n) + " < 1");
  return generate(mix64(seed ^ kStreamTag), 0, n);
}

std::vector<uint8_t> BigramBackcopy::trigger_mask(const std::vector<int64_t>& ids) const {
  std::vector<uint8_t> mask(ids.size(), 0);
  for (size_t t = 1; t < ids.size(); ++t) mask[t] = is_trigger(ids[t]) && ids[t - 1] != kBos;
  return mask;
}

nlohmann::json BigramBackcopy::describe() const {
  return {{"kind", "bigram-backcopy"},
          {"split", split_name(split_)},
          {"vocab", config_.vocab},
          {"triggers", config_.triggers},
          {"successors", config_.successors},
          {"seed", config_.seed},
          {"table_seed", config_.table_seed},
          {"bos", true},  // every sequence starts with BOS
          {"bos_id", kBos},
          {"trigger_tokens", trigger_list_},
          {"reference", "Guo et al. 2024, arXiv 2410.13835, Bigram-Backcopy task"}};
}

}  // namespace ss::train
