// --check-finite: the error names the first intermediate holding NaN/Inf, and the check never asks
// for attention probs (which would force the slow attention path).
#include <gtest/gtest.h>

#include <limits>

#include <nlohmann/json.hpp>

#include "nn/decoder.h"
#include "nn/decoder_init.h"
#include "nn/decoder_loader.h"
#include "nn/finite_check.h"
#include "util/error.h"

namespace ss::nn {
namespace {

DecoderLM tiny_model() {
  const nlohmann::json j = {{"model_type", "llama"},     {"vocab_size", 40},        {"hidden_size", 32},
                            {"num_hidden_layers", 3},    {"num_attention_heads", 4}, {"num_key_value_heads", 2},
                            {"intermediate_size", 64},   {"max_position_embeddings", 64}};
  const DecoderCheckpoint ck = decoder_from_hf(j, random_decoder_weights(j, 3), "tiny");
  return DecoderLM(ck.config, ck.weights);
}

// Runs the model with an optional NaN planted into `plant` (and its Inf twin at position 1),
// returns the finite check's message, or "" when nothing was thrown.
std::string check_message(const std::string& plant) {
  const DecoderLM m = tiny_model();
  Hooks hooks;
  if (!plant.empty())
    hooks.add(plant, [](const std::string&, at::Tensor& t) {
      t = t.clone(at::MemoryFormat::Contiguous);  // q is a transposed view
      t.view({-1})[0] = std::numeric_limits<float>::quiet_NaN();
      t.view({-1})[1] = std::numeric_limits<float>::infinity();
    });
  install_finite_check(hooks);  // after the edit, as the CLI installs it
  const at::Tensor ids = at::arange(1, 9, at::kLong).view({1, 8});
  try {
    m.forward(ids, at::arange(8, at::kLong), nullptr, hooks);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(FiniteCheck, NamesTheTensorWhereTheNaNWasPlanted) {
  const std::string msg = check_message("blocks.1.mlp.out");
  EXPECT_EQ(msg, "non-finite values first appear in blocks.1.mlp.out (1 NaN, 1 Inf of 256 values)");
}

TEST(FiniteCheck, EarlierPlantsAreNamedThemselves) {
  EXPECT_NE(check_message("blocks.0.attn.q").find("in blocks.0.attn.q ("), std::string::npos);
  EXPECT_NE(check_message("tokens_in").find("in tokens_in ("), std::string::npos);
}

TEST(FiniteCheck, CleanRunsPass) { EXPECT_EQ(check_message(""), ""); }

TEST(FiniteCheck, DoesNotRequestAttentionProbs) {
  Hooks hooks;
  install_finite_check(hooks);
  EXPECT_FALSE(hooks.wants("blocks.0.attn.probs"));
  EXPECT_FALSE(hooks.wants("blocks.11.attn.probs"));
  for (const char* name : {"pixel_values", "tokens_in", "blocks.2.attn.q", "blocks.2.attn.gate", "blocks.2.attn.out",
                           "blocks.2.mlp.act", "blocks.2.mlp.out", "blocks.2.out", "final_norm", "logits"})
    EXPECT_TRUE(hooks.wants(name)) << name;
}

}  // namespace
}  // namespace ss::nn
