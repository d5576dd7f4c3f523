// Attention operators (llm-sinks.md §4.6): softmax1 == sink logit 0 == softmax with a zero-key,
// zero-value token prepended; a sink logit of -inf == plain softmax; sink mass = 1 - row sums.
#include <gtest/gtest.h>

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
  const at::Tensor s1 = softmax_attention(x.q, x.k, x.v, none, "a", mask, at::zeros({3}));
  const at::Tensor k0 = at::cat({at::zeros({2, 3, 1, 4}), x.k}, 2), v0 = at::cat({at::zeros({2, 3, 1, 4}), x.v}, 2);
  const at::Tensor mask0 = at::cat({at::ones({5, 1}, at::kBool), mask}, 1);
  EXPECT_TRUE(ss::test::close(s1, softmax_attention(x.q, k0, v0, none, "a", mask0), 1e-6));
}

TEST(Attention, MinusInfinitySinkIsPlainSoftmaxAndProbsLoseTheSinkMass) {
  const Qkv x = random_qkv(2);
  Hooks hooks;
  at::Tensor probs;
  hooks.add("a.probs", [&](const std::string&, at::Tensor& t) { probs = t.clone(); });
  const at::Tensor inf = at::full({3}, -std::numeric_limits<float>::infinity());
  Hooks none;
  EXPECT_TRUE(ss::test::close(softmax_attention(x.q, x.k, x.v, none, "a", {}, inf),
                              softmax_attention(x.q, x.k, x.v, none, "a"), 1e-6));
  const at::Tensor sinks = at::tensor({0.0f, 3.0f, -2.0f});
  softmax_attention(x.q, x.k, x.v, hooks, "a", {}, sinks);
  const at::Tensor row_sums = probs.sum(-1);  // [B, H, T]
  EXPECT_TRUE((row_sums < 1).all().item<bool>());
  // Head 1 has the largest sink logit, so it gives the sink the most mass.
  const at::Tensor sink_mass = (1 - row_sums).mean(at::IntArrayRef{0, 2});
  EXPECT_GT(sink_mass[1].item<float>(), sink_mass[0].item<float>());
  EXPECT_GT(sink_mass[0].item<float>(), sink_mass[2].item<float>());
}

}  // namespace
}  // namespace ss::nn
