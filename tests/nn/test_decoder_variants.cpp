// Every attention variant of issue #5 runs in the LM engine: cached (token-by-token) decoding gives
// the logits of the full forward pass, gates are visible to hooks, config.json round-trips.
#include <gtest/gtest.h>

#include <cmath>

#include <nlohmann/json.hpp>

#include "fixture_compare.h"
#include "nn/decoder.h"
#include "nn/decoder_init.h"
#include "nn/decoder_loader.h"
#include "util/error.h"

namespace ss::nn {
namespace {

const char* kVariants[] = {"softmax", "softmax1", "sink_logit", "sigmoid", "elu1",
                           "gated_elementwise", "gated_headwise", "sink_token"};

nlohmann::json tiny_config(const std::string& variant) {
  nlohmann::json j = {{"model_type", "llama"}, {"vocab_size", 40},         {"hidden_size", 32},
                      {"num_hidden_layers", 2}, {"num_attention_heads", 4}, {"num_key_value_heads", 2},
                      {"intermediate_size", 64}, {"max_position_embeddings", 64}};
  DecoderConfig c = decoder_config_from_hf(j, "tiny");
  c.sink_token = 39;
  c.sigmoid_bias = -std::log(16.0);
  set_attention_variant(c, variant);
  write_attention_fields(c, j);
  return j;
}

DecoderLM tiny_model(const std::string& variant, uint64_t seed = 7) {
  const nlohmann::json j = tiny_config(variant);
  const DecoderCheckpoint ck = decoder_from_hf(j, random_decoder_weights(j, seed), "tiny");
  return DecoderLM(ck.config, ck.weights);
}

TEST(DecoderVariants, ConfigRoundTripsEveryVariant) {
  for (const char* v : kVariants) {
    const DecoderConfig c = decoder_config_from_hf(tiny_config(v), "tiny");
    EXPECT_EQ(attention_variant(c), v);
    EXPECT_EQ(model_prefix(c).size(), std::string(v) == "sink_token" ? 1u : 0u) << v;
  }
  nlohmann::json bad = tiny_config("softmax");
  bad["sinkscope_attention"] = "cosine";
  EXPECT_THROW(decoder_config_from_hf(bad, "tiny"), Error);
}

TEST(DecoderVariants, CachedDecodingMatchesTheFullForwardForEveryVariant) {
  at::manual_seed(0);
  const at::Tensor ids = at::randint(0, 39, {1, 12}, at::kLong);
  Hooks none;
  for (const char* v : kVariants) {
    const DecoderLM m = tiny_model(v);
    const at::Tensor full = m.forward(ids, at::arange(12, at::kLong), nullptr, none);
    KVCache cache(2);
    std::vector<at::Tensor> steps;
    for (int64_t t = 0; t < 12; ++t)
      steps.push_back(m.forward(ids.narrow(1, t, 1), at::full({1}, t, at::kLong), &cache, none));
    EXPECT_TRUE(ss::test::close(at::cat(steps, 1), full, 1e-4)) << v;
  }
}

TEST(DecoderVariants, VariantsChangeTheComputation) {
  // Same weights where they overlap; a variant that silently fell back to softmax would match.
  at::manual_seed(1);
  const at::Tensor ids = at::randint(0, 39, {2, 9}, at::kLong);
  Hooks none;
  const at::Tensor base = tiny_model("softmax").forward(ids, at::arange(9, at::kLong), nullptr, none);
  for (const char* v : {"softmax1", "sink_logit", "sigmoid", "elu1", "gated_elementwise", "gated_headwise"}) {
    const at::Tensor out = tiny_model(v).forward(ids, at::arange(9, at::kLong), nullptr, none);
    EXPECT_GT((out - base).abs().max().item<float>(), 1e-3) << v;
  }
}

TEST(DecoderVariants, GatesAreHookPointsWithTheirShape) {
  const at::Tensor ids = at::zeros({2, 5}, at::kLong);
  for (const auto& [variant, last] : std::vector<std::pair<std::string, int64_t>>{
           {"gated_elementwise", 8}, {"gated_headwise", 1}, {"softmax", -1}}) {
    Hooks hooks;
    std::vector<int64_t> shape;
    int calls = 0;
    hooks.add("blocks.*.attn.gate", [&](const std::string&, at::Tensor& g) {
      shape = g.sizes().vec();
      ++calls;
      EXPECT_TRUE((g > 0).all().item<bool>() && (g < 1).all().item<bool>());
    });
    tiny_model(variant).forward(ids, at::arange(5, at::kLong), nullptr, hooks);
    if (last < 0) {
      EXPECT_EQ(calls, 0);
    } else {
      EXPECT_EQ(calls, 2);
      EXPECT_EQ(shape, (std::vector<int64_t>{2, 5, 4, last})) << variant;
    }
  }
}

}  // namespace
}  // namespace ss::nn
