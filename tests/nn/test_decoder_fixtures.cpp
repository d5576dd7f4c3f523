// Conformance of the decoder engine: golden outputs of HF transformers 4.39.3 (GPT-2, Llama GQA)
// and llama2.c model.py (the real stories260K), ../shared/fixtures/*/README.md.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "common/assets.h"
#include "fixture_compare.h"
#include "nn/decoder.h"
#include "nn/decoder_loader.h"
#include "nn/generate.h"

namespace ss::test {
namespace {

constexpr double kActTol = 1e-4;
constexpr double kProbTol = 1e-5;

std::vector<int64_t> ids_of(const at::Tensor& t) {
  const at::Tensor l = t.to(at::kLong);
  return std::vector<int64_t>(l.data_ptr<int64_t>(), l.data_ptr<int64_t>() + l.numel());
}

struct LmRun {
  nn::DecoderCheckpoint ck;
  std::map<std::string, at::Tensor> t;
};

LmRun run(const std::filesystem::path& model, const at::Tensor& ids) {
  LmRun r{nn::load_decoder_checkpoint(model), {}};
  nn::DecoderLM lm(r.ck.config, r.ck.weights);
  nn::Hooks hooks;
  nn::Capture cap(hooks, {"**"});
  lm.forward(ids.to(at::kLong).unsqueeze(0), at::arange(ids.size(0), at::kLong), nullptr, hooks);
  for (const auto& kv : cap.tensors()) r.t[kv.first] = kv.second.squeeze(0);
  return r;
}

// GPT-2 and Llama fixtures share one layout of expected tensors.
void check_hf_fixture(const char* fx) {
  SS_REQUIRE_ASSET(fx);
  const auto dir = asset(fx);
  const std::string exp = (dir / "expected.safetensors").string();
  const at::Tensor ids = load_tensor((dir / "inputs.safetensors").string(), "input_ids");
  LmRun r = run(dir / "hf", ids);
  const int64_t L = r.ck.config.layers;
  EXPECT_TRUE(close(r.t.at("logits"), load_tensor(exp, "logits"), kActTol)) << "logits";
  EXPECT_TRUE(close(r.t.at("tokens_in"), load_tensor(exp, "hidden_states.0"), kActTol)) << "hidden_states.0";
  for (int64_t i = 0; i < L; ++i) {
    const std::string n = std::to_string(i);
    EXPECT_TRUE(close(r.t.at("blocks." + n + ".out"), load_tensor(exp, "layer_out." + n), kActTol)) << "layer " << i;
    EXPECT_TRUE(close(r.t.at("blocks." + n + ".attn.probs"), load_tensor(exp, "attn_probs." + n), kProbTol))
        << "probs " << i;
  }
  EXPECT_TRUE(close(r.t.at("final_norm"), load_tensor(exp, "hidden_states." + std::to_string(L)), kActTol));

  // Greedy continuation with the KV cache, and the logits that chose each token.
  nn::DecoderLM lm(r.ck.config, r.ck.weights);
  const auto expected_ids = ids_of(load_tensor(exp, "greedy_ids"));
  const auto got = nn::generate(lm, ids_of(ids), static_cast<int64_t>(expected_ids.size()), {});
  EXPECT_EQ(got, expected_ids);
  std::vector<int64_t> all = ids_of(ids);
  all.insert(all.end(), expected_ids.begin(), expected_ids.end());
  const at::Tensor full = at::tensor(all, at::kLong);
  LmRun r2 = run(dir / "hf", full);
  const int64_t T = ids.size(0), n = static_cast<int64_t>(expected_ids.size());
  EXPECT_TRUE(close(r2.t.at("logits").slice(0, T - 1, T - 1 + n), load_tensor(exp, "greedy_step_logits"), kActTol));
}

TEST(DecoderFixtures, Gpt2) { check_hf_fixture("fixtures/gpt2_tiny"); }
TEST(DecoderFixtures, LlamaGqa) { check_hf_fixture("fixtures/llama_gqa_tiny"); }

TEST(DecoderFixtures, Stories260KLlama2c) {
  const char* fx = "fixtures/stories260K";
  SS_REQUIRE_ASSET(fx);
  const auto dir = asset(fx);
  const std::string exp = (dir / "expected.safetensors").string();
  const at::Tensor ids = load_tensor((dir / "inputs.safetensors").string(), "input_ids");
  LmRun r = run(dir / "model" / "stories260K.bin", ids);
  EXPECT_EQ(r.ck.config.rope_style, nn::RopeStyle::Interleaved);
  EXPECT_TRUE(r.ck.config.tied_embeddings);
  EXPECT_TRUE(close(r.t.at("logits"), load_tensor(exp, "logits"), kActTol)) << "logits";
  EXPECT_TRUE(close(r.t.at("final_norm"), load_tensor(exp, "final_norm_out"), kActTol)) << "final norm";
  for (int i = 0; i < 5; ++i) {
    const std::string n = std::to_string(i);
    EXPECT_TRUE(close(r.t.at("blocks." + n + ".out"), load_tensor(exp, "layer_out." + n), kActTol)) << "layer " << i;
    EXPECT_TRUE(close(r.t.at("blocks." + n + ".attn.probs").mean(0), load_tensor(exp, "attn_probs_headmean." + n),
                      kProbTol))
        << "probs " << i;
  }
  nn::DecoderLM lm(r.ck.config, r.ck.weights);
  EXPECT_EQ(nn::generate(lm, {1}, 200, {}), ids_of(load_tensor(exp, "greedy_ids")));
}

TEST(DecoderFixtures, CachedDecodingEqualsFullForward) {
  const char* fx = "fixtures/llama_gqa_tiny";
  SS_REQUIRE_ASSET(fx);
  const auto ck = nn::load_decoder_checkpoint(asset(fx) / "hf");
  nn::DecoderLM lm(ck.config, ck.weights);
  nn::Hooks none;
  at::manual_seed(0);
  const at::Tensor ids = at::randint(0, ck.config.vocab, {2, 20}, at::kLong);
  const at::Tensor full = lm.forward(ids, at::arange(20, at::kLong), nullptr, none);
  nn::KVCache cache(ck.config.layers);
  std::vector<at::Tensor> parts;
  // Prefill 7 tokens, then 1, then 12: chunking must not change anything.
  int64_t pos = 0;
  for (int64_t n : {7, 1, 12}) {
    parts.push_back(lm.forward(ids.slice(1, pos, pos + n), at::arange(pos, pos + n, at::kLong), &cache, none));
    pos += n;
  }
  EXPECT_TRUE(close(at::cat(parts, 1), full, 1e-5));
}

}  // namespace
}  // namespace ss::test
