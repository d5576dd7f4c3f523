// The Bigram-Backcopy task (BB) of Guo, Pai, Bai, Jiao, Jordan & Mei 2024, "Active-Dormant
// Attention Heads: Mechanistically Demystifying Extreme-Token Phenomena in LLMs", arXiv 2410.13835,
// §2: the smallest data on which transformers reliably grow attention sinks, value-state drains and
// residual-state peaks (1-3 layer models, minutes of training).
//
// A sequence is BOS followed by a Markov chain over the non-BOS tokens, except after a trigger:
//   x_0 = BOS (token 0)
//   x_1 ~ uniform over the non-trigger tokens
//   x_{t+1} = x_{t-1}                 if x_t is a trigger token         ("backcopy")
//   x_{t+1} ~ P(. | x_t)              otherwise                          ("bigram")
// The copy needs attention (look one token back); the bigram part needs none. So a head is useful
// only at trigger positions and must do nothing elsewhere. Guo et al. find it parks its attention on
// BOS there (the "dormant" phase, the attention sink); a head can also do nothing by attending
// uniformly (q ≈ 0), which is what our small models do at the shipped budget (docs/results.md).
//
// What the paper fixes and what we choose (its code: github.com/GuoTianYu2000/Active-Dormant-Attention,
// BBM/): its bigram table is estimated from a natural-text corpus and its k = 3 trigger tokens are
// the most frequent tokens (k = 5 in ablations), one BOS. We have no corpus-derived table here, so
// P is a fixed random *sparse* table: every non-BOS token has `successors` possible next tokens
// with Dirichlet(1) weights (from `table_seed`); like the paper, the triggers are the `triggers`
// most frequent tokens of that chain's stationary distribution (ties: lower id), which keeps
// trigger positions common. Defaults: vocab 64 (BOS + 63 tokens), 3 triggers, 4 successors. Sparse
// rows make the bigram part learnable quickly and its loss floor low, so the copy signal is a large
// share of the remaining loss. With the defaults (table_seed 0): triggers 31, 45, 50; 16.8% of
// positions are trigger positions; the bigram entropy at the others averages 1.08 nats, so the
// best achievable loss is about 0.90 nats/token (measured over 2000 sequences of 129 tokens).
//
// Splits: train and validation draw sequences with different keys from the same table and
// triggers; stream() draws one long sequence with a single BOS for streaming evaluation.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "train/dataset.h"

namespace ss::train {

struct BigramBackcopyConfig {
  int64_t vocab = 64;      // token ids [0, vocab); 0 is BOS
  int64_t triggers = 3;    // number of trigger tokens (0 = a plain bigram chain)
  int64_t successors = 4;  // non-zero entries per row of the bigram table
  uint64_t seed = 0;       // sequence draws
  uint64_t table_seed = 0; // the bigram table (and so the triggers)

  // Keys: kind, vocab, triggers, successors, seed, table_seed. Errors name `where` and the key.
  static BigramBackcopyConfig from_json(const nlohmann::json& j, const std::string& where);
};

class BigramBackcopy : public TokenDataset {
 public:
  static constexpr int64_t kBos = 0;

  explicit BigramBackcopy(const BigramBackcopyConfig& config, Split split = Split::Train);

  std::vector<int64_t> sequence(int64_t index, int64_t length) const override;
  int64_t vocab_size() const override { return config_.vocab; }
  std::optional<int64_t> bos() const override { return kBos; }
  nlohmann::json describe() const override;

  // One sequence of `n` tokens with a single BOS at the start, drawn with `seed` (independent of
  // the dataset's seed and split): the held-out long stream for window/sink KV-cache evaluation.
  std::vector<int64_t> stream(int64_t n, uint64_t seed) const;

  bool is_trigger(int64_t token) const;
  const std::vector<int64_t>& trigger_tokens() const { return trigger_list_; }
  // P(to | from) of the bigram table (0 for BOS, for out-of-range ids and outside the row).
  double transition(int64_t from, int64_t to) const;

  // Per position t of `ids`: 1 where the *next* token is a backcopy (ids[t] is a trigger with a
  // real token before it: t >= 1 and ids[t-1] != BOS), else 0. These are the positions where the
  // copying head must be active; everywhere else it should be dormant. Same length as `ids`.
  std::vector<uint8_t> trigger_mask(const std::vector<int64_t>& ids) const;

 private:
  struct Row {
    std::vector<int64_t> next;
    std::vector<double> cumulative;  // cumulative probabilities, last = 1
  };
  std::vector<int64_t> generate(uint64_t key, uint64_t index, int64_t n) const;

  BigramBackcopyConfig config_;
  Split split_;
  std::vector<Row> rows_;            // indexed by token; rows_[kBos] is empty
  std::vector<uint8_t> is_trigger_;  // indexed by token
  std::vector<int64_t> trigger_list_;
  std::vector<int64_t> starters_;    // non-trigger, non-BOS tokens (x_1 is drawn from these)
};

}  // namespace ss::train
