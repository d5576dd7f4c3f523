// Training through the fused kernels (nn::DecoderLM's training path) follows the reference ATen
// composition's loss curve: the trainer's pieces (config, data, model, AdamW, schedule, clipping)
// for a few steps, once per path, on the shipped bb-softmax shape and on grouped-query / gated models.
#include <gtest/gtest.h>

#include <cmath>

#include "nn/decoder.h"
#include "nn/decoder_init.h"
#include "nn/decoder_loader.h"
#include "train/adamw.h"
#include "train/dataset.h"
#include "train/train_config.h"

namespace ss::train {
namespace {

std::vector<double> loss_curve(const nlohmann::json& j, bool fused, int64_t steps) {
  const TrainConfig c = TrainConfig::from_json(j, "fused.json");
  const OptimConfig& o = c.optim;
  const auto data = make_dataset(c.data, Split::Train, c.file);
  const nlohmann::json hf = hf_config_for(c, data->vocab_size(), data->bos());
  nn::StateDict w = nn::random_decoder_weights(hf, o.seed);
  std::vector<Param> params;
  for (auto& [name, t] : w) {
    t = t.contiguous().requires_grad_(true);
    params.push_back({name, t, t.dim() >= 2});
  }
  const nn::DecoderCheckpoint ck = nn::decoder_from_hf(hf, w, c.file);
  nn::DecoderLM lm(ck.config, ck.weights);
  lm.set_fused_training(fused);
  AdamW opt(params, o.beta1, o.beta2, o.eps, o.weight_decay);
  std::vector<double> losses;
  for (int64_t s = 0; s < steps; ++s) {
    std::vector<int64_t> ids;
    for (int64_t b = 0; b < o.batch; ++b) {
      const std::vector<int64_t> seq = data->sequence(s * o.batch + b, o.seq_len + 1);
      ids.insert(ids.end(), seq.begin(), seq.end());
    }
    const at::Tensor batch = at::tensor(ids, at::kLong).view({o.batch, o.seq_len + 1});
    const at::Tensor logits = lm.forward(batch.narrow(1, 0, o.seq_len), at::arange(o.seq_len, at::kLong), nullptr, nn::Hooks());
    at::Tensor loss = at::cross_entropy_loss(logits.reshape({-1, logits.size(-1)}), batch.narrow(1, 1, o.seq_len).reshape(-1));
    loss.backward();
    losses.push_back(loss.item<double>());
    opt.clip_grad_norm(o.grad_clip);
    opt.step(learning_rate(o, s));
    opt.zero_grad();
  }
  return losses;
}

nlohmann::json config(int64_t dim, int64_t heads, int64_t kv_heads, const std::string& attention) {
  return {{"model", {{"dim", dim}, {"layers", 2}, {"heads", heads}, {"kv_heads", kv_heads}, {"ffn_hidden", 4 * dim},
                     {"attention", attention}}},
          {"data", {{"kind", "bigram-backcopy"}, {"vocab", 64}, {"triggers", 3}, {"successors", 4}}},
          {"train", {{"steps", 6}, {"batch", 8}, {"seq_len", 64}, {"lr", 3e-3}, {"min_lr", 3e-4}, {"warmup", 2}}}};
}

TEST(FusedTraining, LossCurveFollowsTheReferencePath) {
  struct Case {
    int64_t dim, heads, kv_heads;
    const char* attention;
  };
  for (const Case& k : {Case{64, 1, 1, "softmax"}, Case{32, 4, 2, "softmax"}, Case{32, 4, 4, "gated_headwise"},
                        Case{32, 2, 1, "sink_logit"}}) {
    const nlohmann::json j = config(k.dim, k.heads, k.kv_heads, k.attention);
    const std::vector<double> fused = loss_curve(j, true, 6), reference = loss_curve(j, false, 6);
    ASSERT_EQ(fused.size(), reference.size());
    for (size_t s = 0; s < fused.size(); ++s)
      EXPECT_NEAR(fused[s], reference[s], 1e-5 * reference[s])
          << k.attention << " heads " << k.heads << "/" << k.kv_heads << " step " << s + 1;
    EXPECT_LT(fused.back(), fused.front()) << "the model learns";
  }
}

}  // namespace
}  // namespace ss::train
