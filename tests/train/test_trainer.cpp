// The trainer: exact resume, the optimiser's first step, learning on the synthetic task, and
// checkpoints that the LM engine loads to the same numbers for every attention variant.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "common/assets.h"
#include "train/metrics_log.h"
#include "io/yaml.h"
#include "nn/decoder.h"
#include "nn/decoder_loader.h"
#include "probe/lm_sinks.h"
#include "train/adamw.h"
#include "train/bigram_backcopy.h"
#include "train/trainer.h"
#include "util/error.h"

namespace ss::train {
namespace {

namespace fs = std::filesystem;

nlohmann::json tiny_config(const std::string& attention, int64_t steps) {
  return {{"model", {{"dim", 32}, {"layers", 2}, {"heads", 2}, {"ffn_hidden", 64}, {"attention", attention}}},
          {"data", {{"kind", "bigram-backcopy"}, {"vocab", 24}, {"triggers", 2}, {"successors", 3}}},
          {"train",
           {{"steps", steps}, {"batch", 4}, {"seq_len", 24}, {"lr", 1e-2}, {"min_lr", 1e-3}, {"warmup", 2},
            {"eval_every", 0}, {"eval_batches", 2}, {"checkpoint_every", 0}, {"log_every", 1}, {"seed", 3}}}};
}

TrainResult run(const nlohmann::json& j, const fs::path& out, bool resume = false, std::optional<int64_t> stop = {}) {
  Distributed single = Distributed::single();
  TrainOptions o;
  o.out = out.string();
  o.resume = resume;
  o.stop_at = stop;
  o.progress = false;
  return train_lm(TrainConfig::from_json(j, "tiny.json"), o, single);
}

TEST(Trainer, ResumedRunReproducesTheUnbrokenRunExactly) {
  const fs::path dir = test::scratch_dir() / "resume";
  fs::remove_all(dir);
  const nlohmann::json j = tiny_config("softmax", 8);
  run(j, dir / "whole");
  const TrainResult first = run(j, dir / "split", false, 3);
  EXPECT_EQ(first.steps, 3);
  const TrainResult second = run(j, dir / "split", true);
  EXPECT_EQ(second.steps, 8);
  const std::vector<double> a = test::logged_losses(dir / "whole"), b = test::logged_losses(dir / "split");
  ASSERT_EQ(a.size(), 8u);
  ASSERT_EQ(b.size(), 8u);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i], b[i]) << "step " << i + 1;
  // A finished folder is not silently overwritten, and resuming needs the same config.
  EXPECT_THROW(run(j, dir / "whole"), Error);
  nlohmann::json other = j;
  other["train"]["lr"] = 5e-3;
  EXPECT_THROW(run(other, dir / "whole", true), Error);
}

TEST(Trainer, Bf16AutocastRoundsTheMatmulsButTracksF32) {
  const fs::path dir = test::scratch_dir() / "bf16";
  fs::remove_all(dir);
  nlohmann::json j = tiny_config("softmax", 2);
  run(j, dir / "f32");
  j["train"]["dtype"] = "bf16";
  run(j, dir / "bf16");
  const std::vector<double> a = test::logged_losses(dir / "f32"), b = test::logged_losses(dir / "bf16");
  ASSERT_EQ(a.size(), 2u);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_NE(a[0], b[0]);            // autocast really ran the matmuls in bf16 ...
  EXPECT_NEAR(a[0], b[0], 0.02);    // ... on the same weights and data
}

TEST(Trainer, FirstAdamWStepMovesEachWeightByTheLearningRate) {
  // After one step m/sqrt(v) = g/|g| (bias-corrected), so every weight with a gradient moves by
  // lr against the sign of its gradient; decay shrinks the decayed ones by (1 - lr wd) first.
  at::Tensor w = at::tensor({1.0f, -2.0f, 3.0f}).requires_grad_(true);
  at::Tensor b = at::tensor({0.5f}).requires_grad_(true);
  AdamW opt({{"w", w, true}, {"b", b, false}}, 0.9, 0.95, 1e-12, 0.1);
  (w * at::tensor({2.0f, 3.0f, -1.0f})).sum().add(b.sum() * -4).backward();
  opt.step(0.01);
  EXPECT_TRUE(at::allclose(w.detach(), at::tensor({1.0f, -2.0f, 3.0f}) * (1 - 0.001) - at::tensor({0.01f, 0.01f, -0.01f}),
                           1e-6, 1e-7));
  EXPECT_NEAR(b.item<float>(), 0.51f, 1e-6);
  EXPECT_EQ(opt.state().size(), 4u);
}

TEST(Trainer, LearnsTheSyntheticTask) {
  const fs::path dir = test::scratch_dir() / "learn";
  fs::remove_all(dir);
  nlohmann::json j = tiny_config("softmax", 60);
  const TrainResult r = run(j, dir);
  const std::vector<double> l = test::logged_losses(dir);
  // Uniform guessing is ln 24 = 3.18 nats; a 60-step model must be well below it.
  EXPECT_GT(l.front(), 2.9);
  EXPECT_LT(r.last_loss, 2.2);
  EXPECT_LT(r.val_loss, 2.3);
}

// The LM engine's mean next-token loss on the trainer's validation batches, from the files in `dir`.
double engine_val_loss(const fs::path& dir, const TrainConfig& c) {
  const nn::DecoderCheckpoint ck = nn::load_decoder_checkpoint(dir);
  const nn::DecoderLM lm(ck.config, ck.weights);
  const BigramBackcopy val(BigramBackcopyConfig::from_json(c.data, "tiny"), Split::Validation);
  double sum = 0;
  for (int64_t e = 0; e < c.optim.eval_batches; ++e)
    for (int64_t b = 0; b < c.optim.batch; ++b) {
      std::vector<int64_t> ids = nn::model_prefix(ck.config);
      const int64_t off = static_cast<int64_t>(ids.size());
      const std::vector<int64_t> s = val.sequence(e * c.optim.batch + b, c.optim.seq_len + 1);
      ids.insert(ids.end(), s.begin(), s.end() - 1);
      const at::Tensor logp = at::log_softmax(
          lm.forward(at::tensor(ids, at::kLong).unsqueeze(0), at::arange(static_cast<int64_t>(ids.size()), at::kLong),
                     nullptr, nn::Hooks())[0], -1);
      double nll = 0;
      for (int64_t t = 0; t < c.optim.seq_len; ++t) nll -= logp[t + off][s[static_cast<size_t>(t + 1)]].item<double>();
      sum += nll / static_cast<double>(c.optim.seq_len);
    }
  return sum / static_cast<double>(c.optim.eval_batches * c.optim.batch);
}

TEST(Trainer, CheckpointsLoadInTheLmEngineForEveryVariant) {
  for (const char* v : {"softmax1", "sink_logit", "sigmoid", "elu1", "gated_elementwise", "gated_headwise", "sink_token"}) {
    const fs::path dir = test::scratch_dir() / (std::string("variant-") + v);
    fs::remove_all(dir);
    const TrainResult r = run(tiny_config(v, 3), dir);
    EXPECT_EQ(nn::attention_variant(nn::load_decoder_checkpoint(dir).config), v);
    // The engine's loss on the trainer's validation batches equals the trainer's validation loss.
    EXPECT_NEAR(engine_val_loss(dir, TrainConfig::from_json(tiny_config(v, 3), "tiny.json")), r.val_loss, 1e-4) << v;
  }
}

// Evaluation rows log the attention on input position 0 per layer; inspect's F-Attn (the probe,
// a separate implementation) measures the same on the same validation inputs, also for the
// unnormalised sigmoid weights (both normalise each row first).
TEST(Trainer, LoggedFirstTokenAttentionIsInspectsFAttnOnTheValidationBatches) {
  for (const char* v : {"softmax", "sigmoid"}) {
    const fs::path dir = test::scratch_dir() / (std::string("first-attn-") + v);
    fs::remove_all(dir);
    const nlohmann::json j = tiny_config(v, 3);
    run(j, dir);
    std::vector<double> logged;
    std::ifstream log(dir / "metrics.jsonl");
    for (std::string line; std::getline(log, line);) {
      const auto row = nlohmann::json::parse(line);
      if (row.contains("first_attn")) logged = row["first_attn"].get<std::vector<double>>();
    }
    const TrainConfig c = TrainConfig::from_json(j, "tiny.json");
    const BigramBackcopy val(BigramBackcopyConfig::from_json(c.data, "tiny"), Split::Validation);
    std::vector<std::vector<int64_t>> inputs;
    for (int64_t i = 0; i < c.optim.eval_batches * c.optim.batch; ++i) {
      std::vector<int64_t> s = val.sequence(i, c.optim.seq_len + 1);
      s.pop_back();
      inputs.push_back(s);
    }
    const nn::DecoderCheckpoint ck = nn::load_decoder_checkpoint(dir);
    const probe::LmSinkResult r = probe::measure_lm_sinks(nn::DecoderLM(ck.config, ck.weights), inputs);
    ASSERT_EQ(logged.size(), 2u) << v;
    for (int64_t l = 0; l < 2; ++l)
      EXPECT_NEAR(logged[static_cast<size_t>(l)], r.f_attn[l].mean().item<double>(), 1e-5) << v << " layer " << l;
  }
}

TEST(Trainer, ShippedModelsReproduceTheValidationLossOfTheirRun) {
  // models/ holds checkpoints the demo uses; their metrics.jsonl ends with the final val_loss.
  for (const char* name : {"bb-softmax", "bb-gated"}) {
    const fs::path dir = fs::path(SS_SOURCE_DIR) / "models" / name;
    ASSERT_TRUE(fs::exists(dir / "model.safetensors")) << dir;
    double logged = NAN;
    std::ifstream log(dir / "metrics.jsonl");
    for (std::string line; std::getline(log, line);) {
      const auto row = nlohmann::json::parse(line);
      if (row.contains("val_loss")) logged = row["val_loss"].get<double>();
    }
    const TrainConfig c = TrainConfig::from_file((dir / "train_config.json").string());
    EXPECT_NEAR(engine_val_loss(dir, c), logged, 1e-4) << name;
  }
}

TEST(TrainConfig, YamlAndJsonGiveTheSameConfigAndErrorsNameTheKey) {
  const std::string yaml =
      "model: {dim: 32, layers: 2, heads: 2, ffn_hidden: 64, attention: gated_headwise}\n"
      "data:\n  kind: bigram-backcopy\n  vocab: 24\n  triggers: 2\n  successors: 3\n"
      "train:\n  steps: 5\n  batch: 4\n  seq_len: 24\n  lr: 0.01\n  min_lr: 0.001\n  warmup: 2\n"
      "  eval_every: 0\n  eval_batches: 2\n  checkpoint_every: 0\n  log_every: 1\n  seed: 3\n";
  const TrainConfig y = TrainConfig::from_json(io::parse_yaml(yaml, "t.yaml"), "t.yaml");
  const TrainConfig js = TrainConfig::from_json(tiny_config("gated_headwise", 5), "t.json");
  EXPECT_EQ(y.to_json(), js.to_json());
  nlohmann::json bad = tiny_config("softmax", 5);
  bad["train"]["warmpu"] = 3;
  try {
    TrainConfig::from_json(bad, "bad.json");
    FAIL() << "unknown key accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.json: train.warmpu: unknown key"), std::string::npos) << e.what();
  }
  bad = tiny_config("cosine", 5);
  try {
    TrainConfig::from_json(bad, "bad.json");
    FAIL() << "unknown attention accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("model.attention"), std::string::npos) << e.what();
  }
}

TEST(TrainConfig, LearningRateWarmsUpThenFollowsTheCosine) {
  OptimConfig o;
  o.steps = 11;
  o.warmup = 2;
  o.lr = 1.0;
  o.min_lr = 0.1;
  EXPECT_DOUBLE_EQ(learning_rate(o, 0), 0.5);
  EXPECT_DOUBLE_EQ(learning_rate(o, 1), 1.0);
  EXPECT_DOUBLE_EQ(learning_rate(o, 2), 1.0);
  EXPECT_NEAR(learning_rate(o, 6), 0.55, 1e-12);  // half way down the cosine
  EXPECT_NEAR(learning_rate(o, 10), 0.1, 1e-12);
}

}  // namespace
}  // namespace ss::train
