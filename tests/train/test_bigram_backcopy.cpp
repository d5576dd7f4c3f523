// The Bigram-Backcopy generator (Guo et al. 2024): the task's rule on every generated token,
// determinism in (seed, index), split and stream separation, the trigger mask, config errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "train/bigram_backcopy.h"
#include "util/error.h"

namespace ss::train {
namespace {

BigramBackcopy make(nlohmann::json j, Split split = Split::Train) {
  j["kind"] = "bigram-backcopy";
  return BigramBackcopy(BigramBackcopyConfig::from_json(j, "cfg.json"), split);
}

// Every token obeys the task: one BOS first, x_1 not a trigger, a copy after each trigger, and
// every other transition an entry of the table. Returns the number of copies checked.
int check_rule(const BigramBackcopy& d, const std::vector<int64_t>& ids) {
  int copies = 0;
  EXPECT_EQ(ids.at(0), BigramBackcopy::kBos);
  if (ids.size() > 1) EXPECT_FALSE(d.is_trigger(ids[1]));
  for (size_t t = 1; t < ids.size(); ++t) {
    EXPECT_GT(ids[t], 0) << "BOS or negative id at " << t;
    EXPECT_LT(ids[t], d.vocab_size());
    if (t + 1 == ids.size()) break;
    if (d.is_trigger(ids[t])) {
      EXPECT_EQ(ids[t + 1], ids[t - 1]) << "no backcopy after the trigger at " << t;
      ++copies;
    } else {
      EXPECT_GT(d.transition(ids[t], ids[t + 1]), 0.0) << ids[t] << " -> " << ids[t + 1] << " at " << t;
    }
  }
  return copies;
}

TEST(BigramBackcopy, RuleHoldsOnEveryGeneratedToken) {
  const BigramBackcopy d = make({});
  int copies = 0, positions = 0;
  for (int64_t i = 0; i < 300; ++i) {
    const auto ids = d.sequence(i, 129);
    ASSERT_EQ(ids.size(), 129u);
    copies += check_rule(d, ids);
    positions += 127;
  }
  // The copy task must be a real share of the data, not a rarity (the paper's triggers are the
  // most frequent tokens for this reason).
  EXPECT_GT(copies, positions / 50) << copies << " copies in " << positions << " positions";
  const BigramBackcopy v = make({}, Split::Validation);
  for (int64_t i = 0; i < 50; ++i) check_rule(v, v.sequence(i, 64));
}

TEST(BigramBackcopy, TableIsSparseAndNormalised) {
  const BigramBackcopy d = make({{"vocab", 20}, {"successors", 3}, {"triggers", 2}});
  EXPECT_EQ(d.trigger_tokens().size(), 2u);
  for (int64_t a = 0; a < 20; ++a) {
    double sum = 0;
    int nonzero = 0;
    for (int64_t b = 0; b < 20; ++b) {
      const double p = d.transition(a, b);
      EXPECT_GE(p, 0.0);
      if (b == BigramBackcopy::kBos) EXPECT_EQ(p, 0.0);
      sum += p;
      nonzero += p > 0;
    }
    if (a == BigramBackcopy::kBos) {
      EXPECT_EQ(nonzero, 0);
    } else {
      EXPECT_EQ(nonzero, 3) << "row " << a;
      EXPECT_NEAR(sum, 1.0, 1e-12) << "row " << a;
    }
  }
}

TEST(BigramBackcopy, TriggersAreTheFrequentTokens) {
  const BigramBackcopy d = make({});
  const auto s = d.stream(200000, 1);
  std::map<int64_t, int64_t> count;
  for (int64_t id : s) ++count[id];
  double trig = 0, other = 0;
  for (int64_t a = 1; a < d.vocab_size(); ++a) (d.is_trigger(a) ? trig : other) += static_cast<double>(count[a]);
  const double n_trig = static_cast<double>(d.trigger_tokens().size());
  EXPECT_GT(trig / n_trig, 1.5 * other / (static_cast<double>(d.vocab_size() - 1) - n_trig));
}

TEST(BigramBackcopy, PureFunctionOfSeedAndIndex) {
  const BigramBackcopy a = make({{"seed", 7}}), b = make({{"seed", 7}});
  EXPECT_EQ(a.sequence(12345, 100), b.sequence(12345, 100));
  EXPECT_NE(a.sequence(0, 100), a.sequence(1, 100));
  // No hidden state: asking in another order, or for other lengths, changes nothing.
  const auto late = a.sequence(3, 100);
  (void)a.sequence(99, 10);
  EXPECT_EQ(a.sequence(3, 100), late);
  const auto shorter = a.sequence(3, 40);
  EXPECT_TRUE(std::equal(shorter.begin(), shorter.end(), late.begin()));
  // The sequence seed changes the draws, not the table.
  const BigramBackcopy c = make({{"seed", 8}});
  EXPECT_NE(c.sequence(3, 100), late);
  EXPECT_EQ(c.trigger_tokens(), a.trigger_tokens());
  EXPECT_EQ(c.transition(5, 9), a.transition(5, 9));
  // The table seed changes the table.
  const BigramBackcopy t = make({{"table_seed", 1}});
  bool differs = false;
  for (int64_t x = 1; x < 64 && !differs; ++x)
    for (int64_t y = 1; y < 64 && !differs; ++y) differs = t.transition(x, y) != a.transition(x, y);
  EXPECT_TRUE(differs);
}

TEST(BigramBackcopy, PinnedDraws) {
  // Checkpoints and model cards name (seed, index); the data behind them must never change
  // silently (a new RNG, another table rule). Update only on purpose, with a note in the cards.
  const BigramBackcopy d = make({});
  const std::vector<int64_t> expected = {0,  62, 11, 57, 2,  44, 31, 44, 31, 44, 31, 44,
                                         38, 26, 1,  44, 44, 44, 2,  43, 50, 43, 46, 59};
  const auto got = d.sequence(0, static_cast<int64_t>(expected.size()));
  EXPECT_EQ(got, expected);
}

TEST(BigramBackcopy, SplitsAndStreamsUseDifferentDraws) {
  const BigramBackcopy train = make({}), val = make({}, Split::Validation);
  EXPECT_EQ(train.trigger_tokens(), val.trigger_tokens());
  std::set<std::vector<int64_t>> seen;
  for (int64_t i = 0; i < 200; ++i) seen.insert(train.sequence(i, 32));
  int same = 0;
  for (int64_t i = 0; i < 200; ++i) same += static_cast<int>(seen.count(val.sequence(i, 32)));
  EXPECT_EQ(same, 0);

  const auto s = train.stream(5000, 3);
  ASSERT_EQ(s.size(), 5000u);
  EXPECT_EQ(std::count(s.begin(), s.end(), BigramBackcopy::kBos), 1);  // a single BOS, at 0
  EXPECT_GT(check_rule(train, s), 0);
  EXPECT_EQ(train.stream(5000, 3), s);
  EXPECT_EQ(val.stream(5000, 3), s);  // streams depend on their own seed only
  EXPECT_NE(train.stream(5000, 4), s);
  EXPECT_THROW(train.stream(0, 3), Error);
  EXPECT_THROW(train.sequence(-1, 8), Error);
  EXPECT_THROW(train.sequence(0, 1), Error);
}

TEST(BigramBackcopy, TriggerMaskMarksPositionsWhoseNextTokenIsACopy) {
  const BigramBackcopy d = make({});
  const int64_t trig = d.trigger_tokens().at(0);
  int64_t plain = 1;
  while (d.is_trigger(plain)) ++plain;
  const std::vector<int64_t> ids = {BigramBackcopy::kBos, plain, trig, plain, trig};
  EXPECT_EQ(d.trigger_mask(ids), (std::vector<uint8_t>{0, 0, 1, 0, 1}));
  // No real token before the trigger: nothing to copy.
  EXPECT_EQ(d.trigger_mask({trig, plain}), (std::vector<uint8_t>{0, 0}));
  EXPECT_EQ(d.trigger_mask({BigramBackcopy::kBos, trig}), (std::vector<uint8_t>{0, 0}));
  // On generated data: mask[t] == 1 exactly where ids[t+1] is forced to ids[t-1].
  const auto seq = d.sequence(5, 200);
  const auto mask = d.trigger_mask(seq);
  for (size_t t = 0; t + 1 < seq.size(); ++t)
    if (mask[t]) EXPECT_EQ(seq[t + 1], seq[t - 1]);
  EXPECT_GT(std::count(mask.begin(), mask.end(), 1), 0);
}

TEST(BigramBackcopy, PlainBigramWithoutTriggers) {
  const BigramBackcopy d = make({{"triggers", 0}, {"vocab", 8}, {"successors", 1}});
  EXPECT_TRUE(d.trigger_tokens().empty());
  const auto s = d.sequence(0, 50);
  check_rule(d, s);
  // One successor per row: after x_1 the chain is deterministic.
  for (size_t t = 1; t + 1 < s.size(); ++t) EXPECT_EQ(d.transition(s[t], s[t + 1]), 1.0);
}

void expect_error(const nlohmann::json& j, const std::string& needle) {
  try {
    make(j);
    ADD_FAILURE() << "no error for " << j.dump();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
  }
}

TEST(BigramBackcopy, BadConfigsNameTheKey) {
  expect_error({{"vocab", 2}}, "cfg.json: data.vocab: expected an integer in [3, 65536], got 2");
  expect_error({{"vocab", "64"}}, "data.vocab");
  expect_error({{"vocab", 10}, {"triggers", 9}}, "data.triggers");
  expect_error({{"triggers", -1}}, "data.triggers");
  expect_error({{"successors", 0}}, "data.successors");
  expect_error({{"vocab", 10}, {"successors", 10}}, "data.successors");
  expect_error({{"vocab", 65536}, {"successors", 100}}, "data.successors");
  expect_error({{"seed", -3}}, "data.seed: expected a non-negative integer");
  expect_error({{"table_seed", 1.5}}, "data.table_seed");
  expect_error({{"trigger", 3}}, "data.trigger: unknown key");
}

TEST(BigramBackcopy, MadeFromTheDataConfig) {
  const auto d = make_dataset({{"kind", "bigram-backcopy"}, {"vocab", 32}}, Split::Validation, "x/cfg.json");
  EXPECT_EQ(d->vocab_size(), 32);
  EXPECT_EQ(d->bos(), std::optional<int64_t>(0));
  const nlohmann::json info = d->describe();
  EXPECT_EQ(info["kind"], "bigram-backcopy");
  EXPECT_EQ(info["split"], "validation");
  EXPECT_EQ(info["bos"], true);
  EXPECT_EQ(info["bos_id"], 0);
  EXPECT_EQ(info["trigger_tokens"].size(), 3u);
  EXPECT_EQ(d->sequence(4, 16), make({{"vocab", 32}}, Split::Validation).sequence(4, 16));
}

}  // namespace
}  // namespace ss::train
