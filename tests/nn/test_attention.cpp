// Attention operators (llm-sinks.md §4.6): softmax1 == sink logit 0 == softmax with a zero-key,
// zero-value token prepended; a sink logit of -inf == plain softmax; sink mass = 1 - row sums.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "fixture_compare.h"
#include "nn/attention.h"

namespace ss::nn {
namespace {

struct Qkv {
  at::Tensor q, k, v;
};

Qkv random_qkv(uint64_t seed) {
  at::manual_seed(seed);
  return {at::randn({2, 3, 5, 4}) * 2, at::randn({2, 3, 5, 4}) * 2, at::randn({2, 3, 5, 4})};
}

TEST(Attention, Softmax1IsAZeroKeyZeroValueTokenPrepended) {
  const Qkv x = random_qkv(1);
  Hooks none;
  const at::Tensor mask = at::ones({5, 5}, at::kBool).tril();
  const at::Tensor s1 = attend(x.q, x.k, x.v, none, "a", mask, AttnOp{AttnKind::Softmax1, {}, 0});
  const at::Tensor k0 = at::cat({at::zeros({2, 3, 1, 4}), x.k}, 2), v0 = at::cat({at::zeros({2, 3, 1, 4}), x.v}, 2);
  const at::Tensor mask0 = at::cat({at::ones({5, 1}, at::kBool), mask}, 1);
  EXPECT_TRUE(ss::test::close(s1, attend(x.q, k0, v0, none, "a", mask0), 1e-6));
}

TEST(Attention, MinusInfinitySinkIsPlainSoftmaxAndProbsLoseTheSinkMass) {
  const Qkv x = random_qkv(2);
  Hooks hooks;
  at::Tensor probs;
  hooks.add("a.probs", [&](const std::string&, at::Tensor& t) { probs = t.clone(); });
  const at::Tensor inf = at::full({3}, -std::numeric_limits<float>::infinity());
  Hooks none;
  EXPECT_TRUE(ss::test::close(attend(x.q, x.k, x.v, none, "a", {}, AttnOp{AttnKind::SinkLogit, inf, 0}),
                              attend(x.q, x.k, x.v, none, "a"), 1e-6));
  const at::Tensor sinks = at::tensor({0.0f, 3.0f, -2.0f});
  attend(x.q, x.k, x.v, hooks, "a", {}, AttnOp{AttnKind::SinkLogit, sinks, 0});
  const at::Tensor row_sums = probs.sum(-1);  // [B, H, T]
  EXPECT_TRUE((row_sums < 1).all().item<bool>());
  // Head 1 has the largest sink logit, so it gives the sink the most mass.
  const at::Tensor sink_mass = (1 - row_sums).mean(at::IntArrayRef{0, 2});
  EXPECT_GT(sink_mass[1].item<float>(), sink_mass[0].item<float>());
  EXPECT_GT(sink_mass[0].item<float>(), sink_mass[2].item<float>());
}

TEST(Attention, Softmax1IsASinkLogitOfZero) {
  const Qkv x = random_qkv(3);
  Hooks none;
  EXPECT_TRUE(ss::test::close(attend(x.q, x.k, x.v, none, "a", {}, AttnOp{AttnKind::Softmax1, {}, 0}),
                              attend(x.q, x.k, x.v, none, "a", {}, AttnOp{AttnKind::SinkLogit, at::zeros({3}), 0}), 1e-6));
}

// Unnormalised kinds: out = w(x) @ v with x = q.k/sqrt(d), masked weights exactly 0 (a -inf logit
// would give elu(-inf) + 1 = 0 but sigmoid must not see the bias either way).
TEST(Attention, SigmoidAndElu1AreUnnormalisedAndMaskedToZero) {
  const Qkv x = random_qkv(4);
  const at::Tensor mask = at::ones({5, 5}, at::kBool).tril();
  const at::Tensor logits = at::matmul(x.q, x.k.transpose(-2, -1)) / 2.0;  // d = 4
  const at::Tensor keep = mask.to(at::kFloat);
  const double b = -std::log(5.0);
  Hooks hooks;
  at::Tensor w;
  hooks.add("a.probs", [&](const std::string&, at::Tensor& t) { w = t.clone(); });
  const at::Tensor sig = attend(x.q, x.k, x.v, hooks, "a", mask, AttnOp{AttnKind::Sigmoid, {}, b});
  EXPECT_TRUE(ss::test::close(w, at::sigmoid(logits + b) * keep, 1e-6));
  EXPECT_TRUE(ss::test::close(sig, at::matmul(at::sigmoid(logits + b) * keep, x.v), 1e-5));
  const at::Tensor elu = attend(x.q, x.k, x.v, hooks, "a", mask, AttnOp{AttnKind::Elu1, {}, 0});
  EXPECT_TRUE(ss::test::close(w, (at::elu(logits) + 1) * keep, 1e-6));
  EXPECT_TRUE(ss::test::close(elu, at::matmul((at::elu(logits) + 1) * keep, x.v), 1e-5));
  EXPECT_EQ(w.masked_select(mask.logical_not().expand_as(w)).abs().max().item<float>(), 0.0f);
  // Rows are not normalised: row sums differ from 1.
  EXPECT_GT((w.sum(-1) - 1).abs().max().item<float>(), 0.1f);
}

TEST(Attention, BigLogitsStayFiniteInBf16) {
  // FP16/BF16 overflow (llm-sinks.md §4.6): logits of 1e4 must not produce inf/NaN.
  at::manual_seed(5);
  const at::Tensor q = (at::randn({1, 2, 4, 8}) * 300).to(at::kBFloat16), k = (at::randn({1, 2, 4, 8}) * 300).to(at::kBFloat16);
  const at::Tensor v = at::randn({1, 2, 4, 8}).to(at::kBFloat16);
  Hooks none;
  for (AttnKind kind : {AttnKind::Softmax, AttnKind::Softmax1, AttnKind::Sigmoid, AttnKind::Elu1})
    EXPECT_TRUE(at::isfinite(attend(q, k, v, none, "a", {}, AttnOp{kind, {}, -2.0})).all().item<bool>())
        << static_cast<int>(kind);
}

}  // namespace
}  // namespace ss::nn
