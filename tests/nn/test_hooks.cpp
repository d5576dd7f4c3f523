#include <gtest/gtest.h>

#include "nn/hooks.h"

namespace ss::nn {
namespace {

TEST(Glob, StarStaysInsideOneSegment) {
  EXPECT_TRUE(glob_match("blocks.*.out", "blocks.3.out"));
  EXPECT_TRUE(glob_match("blocks.*.out", "blocks.12.out"));
  EXPECT_FALSE(glob_match("blocks.*.out", "blocks.3.attn.out"));
  EXPECT_TRUE(glob_match("blocks.*.attn.*", "blocks.3.attn.probs"));
  EXPECT_FALSE(glob_match("blocks.*", "blocks.3.out"));
  EXPECT_TRUE(glob_match("blocks.1*.out", "blocks.17.out"));
  EXPECT_FALSE(glob_match("blocks.1*.out", "blocks.7.out"));
}

TEST(Glob, DoubleStarCrossesSegments) {
  EXPECT_TRUE(glob_match("**", "blocks.3.attn.out"));
  EXPECT_TRUE(glob_match("**.out", "blocks.3.attn.out"));
  EXPECT_TRUE(glob_match("blocks.**.probs", "blocks.3.attn.probs"));
  EXPECT_FALSE(glob_match("blocks.**.probs", "blocks.3.attn.q"));
  EXPECT_TRUE(glob_match("*", "final_norm"));
  EXPECT_FALSE(glob_match("*", "blocks.0.out"));
}

TEST(Glob, Literals) {
  EXPECT_TRUE(glob_match("tokens_in", "tokens_in"));
  EXPECT_FALSE(glob_match("tokens_in", "tokens_inx"));
  EXPECT_FALSE(glob_match("tokens_inx", "tokens_in"));
  EXPECT_TRUE(glob_match("", ""));
  EXPECT_FALSE(glob_match("", "a"));
}

TEST(Hooks, EditsFlowIntoTheForwardAndRunInOrder) {
  Hooks h;
  std::vector<std::string> seen;
  h.add("x.*", [&](const std::string& n, at::Tensor& t) {
    seen.push_back("first " + n);
    t = t * 2;
  });
  h.add("x.a", [&](const std::string& n, at::Tensor& t) {
    seen.push_back("second " + n);
    t.add_(1);
  });
  at::Tensor t = at::ones({2});
  h.visit("x.a", t);
  EXPECT_TRUE(at::equal(t, at::full({2}, 3.0f)));
  EXPECT_EQ(seen, (std::vector<std::string>{"first x.a", "second x.a"}));
  EXPECT_TRUE(h.wants("x.b"));
  EXPECT_FALSE(h.wants("y"));
}

TEST(Capture, KeepsDetachedCopies) {
  Hooks h;
  Capture c(h, {"a", "*"});
  at::Tensor t = at::ones({2});
  h.visit("a", t);
  t.add_(5);
  ASSERT_EQ(c.tensors().size(), 1u) << "two patterns matching one name keep one copy";
  EXPECT_TRUE(at::equal(c.tensors()[0].second, at::ones({2})));
}

}  // namespace
}  // namespace ss::nn
