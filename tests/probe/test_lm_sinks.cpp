// LM sink metrics (llm-sinks.md §6) against direct computations, planted mechanisms (a head that
// attends only to token 1, a massive activation) and the real stories260K, which has no sink.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>

#include "common/assets.h"
#include "nn/decoder_init.h"
#include "nn/decoder_loader.h"
#include "probe/lm_sinks.h"
#include "probe/probe_sets.h"
#include "text/tokenizer.h"
#include "util/error.h"

namespace ss::probe {
namespace {

// A random llama-layout LM written by `sinkscope init`'s writer and loaded like any checkpoint.
nn::DecoderCheckpoint random_lm(int64_t layers = 2) {
  const auto dir = test::scratch_dir() / "lm";
  nn::write_random_decoder(
      {{"model_type", "llama"}, {"vocab_size", 64}, {"hidden_size", 32}, {"num_hidden_layers", layers},
       {"num_attention_heads", 4}, {"num_key_value_heads", 2}, {"intermediate_size", 48},
       {"max_position_embeddings", 128}},
      dir, 7);
  return nn::load_decoder_checkpoint(dir);
}

std::vector<std::vector<int64_t>> random_sequences(int64_t n, int64_t T, uint64_t seed) {
  ProbeSetOptions o;
  o.kind = ProbeKind::Random, o.seq_len = T, o.count = n, o.seed = seed;
  return make_probe_set(o, 64).sequences;
}

at::Tensor batch_of(const std::vector<std::vector<int64_t>>& seqs) {
  std::vector<at::Tensor> rows;
  for (const auto& s : seqs) rows.push_back(at::tensor(s, at::kLong));
  return at::stack(rows);
}

TEST(LmSinks, GuImportanceOnHandComputedProbs) {
  // alpha_k = sum over the queries that see k / (T - k + 1), 1-based (Gu §3.2).
  const at::Tensor a = at::tensor({1.0, 0.0, 0.0, 0.5, 0.5, 0.0, 0.2, 0.3, 0.5}).view({3, 3});
  const at::Tensor alpha = gu_importance(a);
  EXPECT_NEAR(alpha[0].item<double>(), (1 + 0.5 + 0.2) / 3, 1e-12);
  EXPECT_NEAR(alpha[1].item<double>(), (0.5 + 0.3) / 2, 1e-12);
  EXPECT_NEAR(alpha[2].item<double>(), 0.5, 1e-12);
  EXPECT_THROW(gu_importance(at::ones({2, 3})), Error);
}

TEST(LmSinks, MetricsMatchADirectComputation) {
  const auto ck = random_lm();
  const nn::DecoderLM lm(ck.config, ck.weights);
  const int64_t T = 12, S = 5, L = 2, H = 4;
  const auto seqs = random_sequences(S, T, 3);
  LmSinkOptions o;
  o.batch = 2;  // chunks of 2, 2, 1: the sums must not depend on the split
  o.epsilon = 0.15;
  const LmSinkResult r = measure_lm_sinks(lm, seqs, o);

  nn::Hooks hooks;
  nn::Capture cap(hooks, {"blocks.*.attn.probs", "blocks.*.out", "tokens_in", "blocks.*.attn.k"});
  lm.forward(batch_of(seqs), at::arange(T, at::kLong), nullptr, hooks);
  auto get = [&](const std::string& n) {
    for (const auto& kv : cap.tensors())
      if (kv.first == n) return kv.second.to(at::kDouble);
    ADD_FAILURE() << n;
    return at::Tensor();
  };
  std::vector<double> sink_hits(static_cast<size_t>(T), 0.0);
  for (int64_t l = 0; l < L; ++l) {
    const at::Tensor A = get("blocks." + std::to_string(l) + ".attn.probs");  // [S, H, T, T]
    for (int64_t h = 0; h < H; ++h) {
      double f = 0;
      for (int64_t s = 0; s < S; ++s)
        for (int64_t t = 1; t < T; ++t) f += A[s][h][t][0].item<double>() / (S * (T - 1));
      EXPECT_NEAR(r.f_attn[l][h].item<double>(), f, 1e-6);
      for (int64_t k = 0; k < T; ++k) {
        double mean = 0;
        for (int64_t s = 0; s < S; ++s) {
          double col = 0;
          for (int64_t t = k; t < T; ++t) col += A[s][h][t][k].item<double>();
          const double alpha = col / static_cast<double>(T - k);
          mean += alpha / S;
          sink_hits[static_cast<size_t>(k)] += alpha > o.epsilon;
        }
        EXPECT_NEAR(r.alpha[l][h][k].item<double>(), mean, 1e-6) << l << " " << h << " " << k;
      }
    }
    const at::Tensor hn = get("blocks." + std::to_string(l) + ".out").norm(2, -1).mean(0);
    EXPECT_TRUE(at::allclose(r.hidden_norm[l + 1], hn, 1e-6, 1e-6));
    const at::Tensor kn = get("blocks." + std::to_string(l) + ".attn.k").norm(2, -1).mean(1).mean(0);
    EXPECT_TRUE(at::allclose(r.k_norm[l], kn, 1e-6, 1e-6));
    const double ratio = hn[0].item<double>() / hn.slice(0, 1).mean().item<double>();
    EXPECT_NEAR(r.norm_ratio[l + 1].item<double>(), ratio, 1e-6);
  }
  EXPECT_TRUE(at::allclose(r.hidden_norm[0], get("tokens_in").norm(2, -1).mean(0), 1e-6, 1e-6));
  for (int64_t k = 0; k < T; ++k)
    EXPECT_NEAR(r.sink(k + 1), sink_hits[static_cast<size_t>(k)] / (S * L * H), 1e-12) << k;
  EXPECT_GT(r.sink(1), 0);  // alpha_1 >= 1/T: with eps 0.15 some heads count, so the check has teeth
  EXPECT_FALSE(r.proxy);
  EXPECT_FALSE(r.sink_mass.defined());
  EXPECT_TRUE(r.gate_mean.empty());
  // The same numbers in one batch.
  o.batch = 8;
  const LmSinkResult one = measure_lm_sinks(lm, seqs, o);
  EXPECT_TRUE(at::allclose(one.alpha, r.alpha, 1e-9, 1e-9));
  EXPECT_TRUE(at::allclose(one.cos_q_k1, r.cos_q_k1, 1e-9, 1e-9));
}

TEST(LmSinks, AHeadThatOnlyAttendsToTokenOneIsTheOnlySink) {
  const auto ck = random_lm();
  const nn::DecoderLM lm(ck.config, ck.weights);
  LmSinkOptions o;
  // Plant the mechanism: layer 0, head 2 puts all of every query's attention on position 1.
  o.install = [](nn::Hooks& h) {
    h.add("blocks.0.attn.probs", [](const std::string&, at::Tensor& p) {
      p = p.clone();
      p.select(1, 2).zero_();
      p.select(1, 2).select(2, 0).fill_(1);
    });
  };
  const LmSinkResult r = measure_lm_sinks(lm, random_sequences(10, 32, 5), o);
  EXPECT_NEAR(r.alpha[0][2][0].item<double>(), 1.0, 1e-9);
  EXPECT_NEAR(r.alpha[0][2].slice(0, 1).abs().max().item<double>(), 0.0, 1e-12);
  EXPECT_NEAR(r.f_attn[0][2].item<double>(), 1.0, 1e-9);
  // Every other head of this near-uniform random model: alpha_1 ~ mean_t 1/t ~ 0.13 < 0.3.
  EXPECT_NEAR(r.sink(1), 1.0 / (2 * 4), 1e-12);
  EXPECT_EQ(r.sink(2), 0.0);
  EXPECT_LT(r.f_attn[1].max().item<double>(), 0.3);
  const auto j = to_json(r);
  EXPECT_NEAR(j["sink"]["k1"].get<double>(), 0.125, 1e-12);
  EXPECT_NEAR(j["alpha"]["k1"][0][2].get<double>(), 1.0, 1e-9);
}

TEST(LmSinks, FindsAPlantedMassiveActivationOnly) {
  const auto ck = random_lm();
  const nn::DecoderLM lm(ck.config, ck.weights);
  LmSinkOptions o;
  o.batch = 3;
  o.install = [](nn::Hooks& h) {
    h.add("blocks.1.out", [](const std::string&, at::Tensor& x) {
      x = x.clone();
      x.select(1, 3).select(1, 5).fill_(-500);  // position 4 (1-based), dim 5: massive
      x.select(1, 6).select(1, 7).fill_(80);    // below the absolute threshold of 100
      x.select(1, 9).fill_(1);                  // a token whose median |h| is 1 ...
      x.select(1, 9).select(1, 2).fill_(150);   // ... so 150 is only 150x its median: not massive
    });
  };
  const int64_t S = 7;
  const LmSinkResult r = measure_lm_sinks(lm, random_sequences(S, 16, 9), o);
  EXPECT_EQ(r.massive_count, S);
  EXPECT_EQ(r.massive_per_layer, (std::vector<int64_t>{0, S}));
  ASSERT_EQ(r.massive.size(), 1u);
  EXPECT_EQ(r.massive[0].layer, 1);
  EXPECT_EQ(r.massive[0].dim, 5);
  EXPECT_EQ(r.massive[0].position, 3);
  EXPECT_EQ(r.massive[0].sequences, S);
  EXPECT_DOUBLE_EQ(r.massive[0].mean_value, -500);
  EXPECT_DOUBLE_EQ(r.max_act[1], 500);
  EXPECT_DOUBLE_EQ(r.top3[1][0], 500);
  EXPECT_DOUBLE_EQ(r.top3[1][1], 150);
  EXPECT_LT(r.max_act[0], 100);
  EXPECT_NEAR(r.m_act, (r.max_act[0] + 500) / 2, 1e-9);
  EXPECT_GT(r.hidden_norm[2][3].item<double>(), 499);
  EXPECT_GT(r.norm_ratio[2].item<double>(), 0);
}

TEST(LmSinks, GateStatisticsAndProxyScoresOfTheAttentionVariants) {
  auto ck = random_lm();
  nn::set_attention_variant(ck.config, "gated_headwise");
  at::manual_seed(1);
  for (int64_t l = 0; l < ck.config.layers; ++l)
    ck.weights["blocks." + std::to_string(l) + ".attn.gate.weight"] = at::randn({ck.config.gate_dim(), ck.config.dim});
  const nn::DecoderLM gated(ck.config, ck.weights);
  const auto seqs = random_sequences(4, 10, 2);
  const LmSinkResult g = measure_lm_sinks(gated, seqs);
  nn::Hooks hooks;
  nn::Capture cap(hooks, {"blocks.*.attn.gate"});
  gated.forward(batch_of(seqs), at::arange(10, at::kLong), nullptr, hooks);
  ASSERT_EQ(g.gate_mean.size(), 2u);
  for (size_t l = 0; l < 2; ++l) {
    const at::Tensor x = cap.tensors()[l].second;
    EXPECT_EQ(x.size(-1), 1);  // headwise: one gate per head
    EXPECT_NEAR(g.gate_mean[l], x.mean().item<double>(), 1e-6);
    EXPECT_NEAR(g.gate_below_0_1[l], (x < 0.1).to(at::kDouble).mean().item<double>(), 1e-12);
  }

  // Sigmoid attention: unnormalised weights; alpha uses w / sum(w) (Gu Table 6 "*").
  auto sk = random_lm();
  nn::set_attention_variant(sk.config, "sigmoid");
  const nn::DecoderLM sig(sk.config, sk.weights);
  const LmSinkResult p = measure_lm_sinks(sig, seqs);
  EXPECT_TRUE(p.proxy);
  EXPECT_TRUE(to_json(p)["sink"]["proxy"].get<bool>());
  nn::Hooks h2;
  nn::Capture w(h2, {"blocks.0.attn.probs"});
  sig.forward(batch_of(seqs), at::arange(10, at::kLong), nullptr, h2);
  const at::Tensor wt = w.tensors()[0].second.to(at::kDouble);
  EXPECT_GT((wt.sum(-1) - 1).abs().max().item<double>(), 0.1);  // really unnormalised
  const at::Tensor score = wt / (wt.sum(-1, true) + 1e-8);
  EXPECT_TRUE(at::allclose(p.alpha[0], gu_importance(score).mean(0), 1e-6, 1e-6));

  // softmax1: the mass the implicit zero logit takes, 1 - sum_j p_tj (M9); not a proxy.
  auto s1 = random_lm();
  nn::set_attention_variant(s1.config, "softmax1");
  const nn::DecoderLM soft1(s1.config, s1.weights);
  const LmSinkResult m = measure_lm_sinks(soft1, seqs);
  EXPECT_FALSE(m.proxy);
  ASSERT_TRUE(m.sink_mass.defined());
  nn::Hooks h3;
  nn::Capture pr(h3, {"blocks.1.attn.probs"});
  soft1.forward(batch_of(seqs), at::arange(10, at::kLong), nullptr, h3);
  const at::Tensor mass = (1 - pr.tensors()[0].second.to(at::kDouble).sum(-1)).mean(-1).mean(0);  // [H]
  EXPECT_GT(mass.min().item<double>(), 0.05);  // the first query alone gives half its mass away
  EXPECT_TRUE(at::allclose(m.sink_mass[1], mass, 1e-6, 1e-6));
}

TEST(LmSinks, ProbeSetsAreDeterministicAndShaped) {
  ProbeSetOptions o;
  o.kind = ProbeKind::Random, o.seq_len = 8, o.count = 3, o.seed = 4, o.prefix = {1}, o.exclude = {1, 2};
  const ProbeSet a = make_probe_set(o, 50), b = make_probe_set(o, 50);
  EXPECT_EQ(a.sequences, b.sequences);
  EXPECT_EQ(a.hash, b.hash);
  EXPECT_EQ(a.hash.rfind("fnv1a64:", 0), 0u);
  for (const auto& s : a.sequences) {
    ASSERT_EQ(s.size(), 8u);
    EXPECT_EQ(s[0], 1);
    for (size_t t = 1; t < s.size(); ++t) EXPECT_TRUE(s[t] != 1 && s[t] != 2 && s[t] >= 0 && s[t] < 50);
  }
  o.seed = 5;
  EXPECT_NE(make_probe_set(o, 50).hash, a.hash);
  o.kind = ProbeKind::Repeat;
  for (const auto& s : make_probe_set(o, 50).sequences)
    for (size_t t = 2; t < s.size(); ++t) EXPECT_EQ(s[t], s[1]);
  o.kind = ProbeKind::Natural;
  std::vector<int64_t> text(30);
  for (size_t i = 0; i < text.size(); ++i) text[i] = static_cast<int64_t>(i) + 10;
  const ProbeSet n = make_probe_set(o, 50, text);
  EXPECT_EQ(n.sequences[1], (std::vector<int64_t>{1, 17, 18, 19, 20, 21, 22, 23}));  // consecutive chunks of 7
  o.count = 5;
  EXPECT_THROW(make_probe_set(o, 50, text), Error);  // 30 ids give only 4 chunks
  o.seq_len = 1;
  EXPECT_THROW(make_probe_set(o, 50, text), UsageError);
  EXPECT_THROW(probe_kind_from_name("natrual"), UsageError);
  EXPECT_EQ(fnv1a_hash({}), "fnv1a64:cbf29ce484222325");  // the FNV-1a 64 offset basis
}

TEST(LmSinks, Stories260KHasNoSink) {
  const char* model = "models/stories260K/stories260K.bin";
  SS_REQUIRE_ASSET(model);
  SS_REQUIRE_ASSET("data/tinystories_val.txt");
  const auto ck = nn::load_decoder_checkpoint(test::asset(model));
  const nn::DecoderLM lm(ck.config, ck.weights);
  const auto tok = text::load_tokenizer(test::asset("models/stories260K/tok512.bin"));
  ProbeSetOptions o;  // Gu's defaults: T 64, 100 sequences, BOS first
  o.prefix = {*tok->bos_id()};
  const auto ids = tokenize_file_start(test::asset("data/tinystories_val.txt"), *tok, 100 * 63);
  const ProbeSet set = make_probe_set(o, ck.config.vocab, ids);
  const LmSinkResult r = measure_lm_sinks(lm, set.sequences);
  // models/README.md: this model has no attention sink. Measured (docs/inspect.md): Sink_1 = 0.125%
  // (5 of 4000 sequence-layer-heads), F-Attn 0.072 against 0.059 for uniform causal attention.
  EXPECT_LT(r.sink(1), 0.01);  // Gu's models with sinks: 18-99%
  double uniform = 0;          // F-Attn of uniform causal attention: mean over t >= 2 of 1/t
  for (int64_t t = 2; t <= 64; ++t) uniform += 1.0 / static_cast<double>(t) / 63;
  EXPECT_LT(r.f_attn_mean(), 1.5 * uniform);
  EXPECT_EQ(r.massive_count, 0);
  EXPECT_EQ(set.hash, "fnv1a64:4bc76b1a54d6fcfb");  // the probe set of the documented numbers
  std::printf("stories260K natural: %s; hash %s\n", lm_verdict(r).c_str(), set.hash.c_str());
}

}  // namespace
}  // namespace ss::probe
