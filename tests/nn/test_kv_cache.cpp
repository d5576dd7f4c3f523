// Cache policies against naive recomputation (llm-sinks.md §1.9): positions are cache slots, and
// evicted keys' neighbours are re-rotated by delta rotation.
#include <gtest/gtest.h>

#include "fixture_compare.h"
#include "nn/decoder.h"
#include "nn/kv_cache.h"
#include "nn/rope.h"
#include "nn/stream.h"
#include "util/error.h"

namespace ss::nn {
namespace {

DecoderConfig tiny_llama(int64_t layers, RopeStyle style = RopeStyle::Half, int64_t rotary = 8) {
  DecoderConfig c;
  c.arch = "llama";
  c.vocab = 50;
  c.dim = 16;
  c.layers = layers;
  c.heads = 2;
  c.kv_heads = 1;
  c.head_dim = 8;
  c.ffn_hidden = 24;
  c.rope_style = style;
  c.rotary_dim = rotary;
  c.max_positions = 64;
  return c;
}

StateDict random_weights(const DecoderConfig& c, uint64_t seed) {
  at::manual_seed(seed);
  StateDict w;
  const int64_t D = c.dim, F = c.ffn_hidden;
  w["tok_emb"] = at::randn({c.vocab, D});
  w["final_norm.weight"] = 1 + 0.1 * at::randn({D});
  w["lm_head"] = at::randn({c.vocab, D}) / 4;
  for (int64_t i = 0; i < c.layers; ++i) {
    const std::string p = "blocks." + std::to_string(i) + ".";
    w[p + "attn_norm.weight"] = 1 + 0.1 * at::randn({D});
    w[p + "attn.q.weight"] = at::randn({c.q_dim(), D}) / 2;
    w[p + "attn.k.weight"] = at::randn({c.kv_dim(), D}) / 2;
    w[p + "attn.v.weight"] = at::randn({c.kv_dim(), D}) / 4;
    w[p + "attn.o.weight"] = at::randn({D, c.q_dim()}) / 4;
    w[p + "mlp_norm.weight"] = 1 + 0.1 * at::randn({D});
    w[p + "mlp.gate.weight"] = at::randn({F, D}) / 4;
    w[p + "mlp.up.weight"] = at::randn({F, D}) / 4;
    w[p + "mlp.down.weight"] = at::randn({D, F}) / 4;
  }
  return w;
}

std::vector<int64_t> random_ids(int64_t n, int64_t vocab, uint64_t seed) {
  at::manual_seed(seed);
  const at::Tensor t = at::randint(0, vocab, {n}, at::kLong);
  return std::vector<int64_t>(t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + n);
}

float naive_nll(const DecoderLM& m, const std::vector<int64_t>& context, int64_t target) {
  Hooks none;
  const at::Tensor ids = at::tensor(context, at::kLong).unsqueeze(0);
  const at::Tensor logits = m.forward(ids, at::arange(ids.size(1), at::kLong), nullptr, none)[0][-1];
  return -at::log_softmax(logits, -1)[target].item<float>();
}

TEST(CachePolicy, ParsesEverySpecAndNamesBadOnes) {
  EXPECT_EQ(CachePolicy::parse("dense").kind, CachePolicy::Dense);
  const CachePolicy s = CachePolicy::parse("sink:4+508");
  EXPECT_EQ(s.kind, CachePolicy::Sink);
  EXPECT_EQ(s.sink, 4);
  EXPECT_EQ(s.window, 508);
  EXPECT_EQ(s.name(), "sink:4+508");
  EXPECT_EQ(CachePolicy::parse("window:256").capacity(), 256);
  EXPECT_EQ(CachePolicy::parse("recompute:16").kind, CachePolicy::Recompute);
  EXPECT_EQ(CachePolicy::parse("shift:1+10").kind, CachePolicy::Shift);
  for (const char* bad : {"", "lru", "sink:4", "sink:a+3", "window:", "window:0", "window:-3", "dense:3", "shift:0+1"}) {
    try {
      CachePolicy::parse(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("--cache"), std::string::npos) << e.what();
    }
  }
}

TEST(Rope, DeltaRotationEqualsRotatingAtTheShiftedPosition) {
  for (auto style : {RopeStyle::Half, RopeStyle::Interleaved}) {
    for (int64_t rot : {8, 4}) {  // full and partial (NeoX-style) rotary
      const Rope rope(tiny_llama(1, style, rot));
      at::manual_seed(3);
      const at::Tensor x = at::randn({1, 2, 5, 8});
      const at::Tensor p = at::tensor(std::vector<int64_t>{9, 10, 11, 30, 40}, at::kLong);
      const at::Tensor shifted = rope.apply(rope.apply(x, p), at::full({5}, -7, at::kLong));
      EXPECT_TRUE(ss::test::close(shifted, rope.apply(x, p - 7), 1e-5));
    }
  }
}

// One layer: cached keys/values depend only on the token and its slot, so the sink cache must equal
// a fresh forward over exactly the tokens it kept, at slot positions 0..n-1 (the paper's semantics).
TEST(KvCache, SinkAndWindowEqualNaiveRecomputationOfTheKeptTokens) {
  const DecoderConfig c = tiny_llama(1);
  const DecoderLM m(c, random_weights(c, 1));
  const auto ids = random_ids(40, c.vocab, 2);
  for (const char* spec : {"sink:2+5", "window:6", "shift:2+6"}) {
    const CachePolicy p = CachePolicy::parse(spec);
    const StreamResult r = stream_nll(m, ids, p);
    ASSERT_EQ(r.nll.size(), ids.size() - 1);
    EXPECT_LE(r.max_cache_entries, p.capacity() + 1) << spec;
    std::vector<int64_t> kept;  // tokens the cache holds before token t is added
    for (size_t t = 0; t + 1 < ids.size(); ++t) {
      std::vector<int64_t> ctx = kept;
      ctx.push_back(ids[t]);
      EXPECT_NEAR(r.nll[t], naive_nll(m, ctx, ids[t + 1]), 2e-4) << spec << " token " << t;
      kept = ctx;
      const auto n = static_cast<int64_t>(kept.size());
      if (p.kind == CachePolicy::Shift && n >= p.sink + p.window)
        kept.erase(kept.begin() + p.sink, kept.begin() + p.sink + p.window / 2);
      if (p.kind != CachePolicy::Shift && n > p.sink + p.window)
        kept.erase(kept.begin() + p.sink, kept.begin() + (n - p.window));
    }
  }
}

TEST(KvCache, DenseAndRecomputeMatchFullForwards) {
  const DecoderConfig c = tiny_llama(2);
  const DecoderLM m(c, random_weights(c, 4));
  const auto ids = random_ids(24, c.vocab, 5);
  const StreamResult dense = stream_nll(m, ids, CachePolicy::parse("dense"));
  const StreamResult rec = stream_nll(m, ids, CachePolicy::parse("recompute:5"));
  for (size_t t = 0; t + 1 < ids.size(); ++t) {
    EXPECT_NEAR(dense.nll[t], naive_nll(m, std::vector<int64_t>(ids.begin(), ids.begin() + t + 1), ids[t + 1]), 2e-4);
    const size_t first = t + 1 > 5 ? t + 1 - 5 : 0;
    EXPECT_NEAR(rec.nll[t], naive_nll(m, std::vector<int64_t>(ids.begin() + first, ids.begin() + t + 1), ids[t + 1]),
                2e-4);
  }
}

// A model trained with a learned sink token sees it before every sequence: the recompute oracle
// keeps it in front of each rebuilt window (the cache policies treat it as their first entry).
TEST(KvCache, RecomputeKeepsTheModelsSinkTokenBeforeEveryWindow) {
  DecoderConfig c = tiny_llama(2);
  c.sink_token = static_cast<int32_t>(c.vocab - 1);
  const DecoderLM m(c, random_weights(c, 8));
  std::vector<int64_t> ids = model_prefix(c);
  ASSERT_EQ(ids.size(), 1u);
  for (int64_t id : random_ids(30, c.vocab - 1, 9)) ids.push_back(id);
  const StreamResult rec = stream_nll(m, ids, CachePolicy::parse("recompute:5"));
  ASSERT_EQ(rec.nll.size(), ids.size() - 1);
  for (size_t t = 0; t + 1 < ids.size(); ++t) {
    std::vector<int64_t> ctx = {ids[0]};
    ctx.insert(ctx.end(), ids.begin() + static_cast<long>(std::max<size_t>(1, t + 1 > 5 ? t + 1 - 5 : 0)),
               ids.begin() + static_cast<long>(t + 1));
    EXPECT_NEAR(rec.nll[t], naive_nll(m, ctx, ids[t + 1]), 2e-4) << "token " << t;
  }
}

TEST(KvCache, LearnedPositionsStopCleanlyPastTheTable) {
  DecoderConfig c = tiny_llama(1);
  c.pos = PosKind::Learned;
  c.max_positions = 8;
  StateDict w = random_weights(c, 6);
  w["pos_emb"] = at::randn({8, c.dim});
  const DecoderLM m(c, w);
  const auto ids = random_ids(20, c.vocab, 7);
  const StreamResult dense = stream_nll(m, ids, CachePolicy::parse("dense"));
  EXPECT_EQ(dense.nll.size(), 8u);
  EXPECT_NE(dense.stopped.find("learned positions"), std::string::npos) << dense.stopped;
  const StreamResult sink = stream_nll(m, ids, CachePolicy::parse("sink:2+5"));
  EXPECT_EQ(sink.nll.size(), ids.size() - 1) << "a bounded cache keeps slots inside the table";
  EXPECT_TRUE(sink.stopped.empty());
}

}  // namespace
}  // namespace ss::nn
