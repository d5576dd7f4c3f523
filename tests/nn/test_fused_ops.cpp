// The fused training kernels (src/nn/fused_*.h) against the ATen compositions they replace, forward
// and gradients, on random inputs: RMSNorm, head split + RoPE, causal attention (batch, heads,
// grouped-query), SwiGLU; and nn::DecoderLM's fused training path against its reference path.
#include <gtest/gtest.h>

#include <cmath>

#include <nlohmann/json.hpp>

#include "nn/attention.h"
#include "nn/decoder.h"
#include "nn/decoder_init.h"
#include "nn/decoder_loader.h"
#include "nn/fused_attention.h"
#include "nn/fused_rmsnorm.h"
#include "nn/fused_rope.h"
#include "nn/fused_mlp.h"
#include "nn/fused_vec.h"
#include "nn/rope.h"

namespace ss::nn {
namespace {

// max |a - ref| <= tol * max |ref|: float rounding, not a different computation.
void expect_close(const at::Tensor& a, const at::Tensor& ref, const std::string& what, double tol = 1e-5) {
  ASSERT_TRUE(a.defined() && ref.defined()) << what;
  ASSERT_EQ(a.sizes(), ref.sizes()) << what;
  const double scale = ref.abs().max().item<double>(), diff = (a - ref).abs().max().item<double>();
  EXPECT_LE(diff, tol * scale) << what << ": max |diff| " << diff << " at scale " << scale;
  EXPECT_GT(scale, 0) << what;
}

// Leaf copies of `inputs` that require grad.
std::vector<at::Tensor> leaves(const std::vector<at::Tensor>& inputs) {
  std::vector<at::Tensor> out;
  for (const auto& t : inputs) out.push_back(t.detach().clone().requires_grad_(true));
  return out;
}

// Runs f on fresh leaves, backpropagates a fixed random cotangent of each output, returns outputs and input grads.
template <typename F>
std::pair<std::vector<at::Tensor>, std::vector<at::Tensor>> run(const std::vector<at::Tensor>& inputs, F f) {
  std::vector<at::Tensor> x = leaves(inputs);
  std::vector<at::Tensor> y = f(x);
  at::Tensor loss = at::zeros({});
  for (size_t i = 0; i < y.size(); ++i) {
    at::manual_seed(100 + i);
    loss = loss + (y[i] * at::randn(y[i].sizes())).sum();
  }
  loss.backward();
  std::vector<at::Tensor> grads, outs;
  for (const auto& t : x) grads.push_back(t.grad());
  for (const auto& t : y) outs.push_back(t.detach());
  return {outs, grads};
}

template <typename F, typename G>
void expect_same_op(const std::vector<at::Tensor>& inputs, F fused, G reference, const std::string& what) {
  const auto [fy, fg] = run(inputs, fused);
  const auto [ry, rg] = run(inputs, reference);
  ASSERT_EQ(fy.size(), ry.size());
  for (size_t i = 0; i < fy.size(); ++i) expect_close(fy[i], ry[i], what + ": output " + std::to_string(i));
  for (size_t i = 0; i < fg.size(); ++i)
    if (rg[i].defined()) expect_close(fg[i], rg[i], what + ": grad of input " + std::to_string(i));
}

TEST(FusedOps, ExpAndSigmoidAreWithinAFewUlps) {
  for (float x = -87.0f; x <= 0.0f; x += 0.00731f) {
    const double e = std::exp(static_cast<double>(x));
    ASSERT_LE(std::fabs(fused::exp_nonpositive(x) - e), 2.4e-7 * e) << x;
  }
  EXPECT_EQ(fused::exp_nonpositive(0.0f), 1.0f);
  EXPECT_LT(fused::exp_nonpositive(-1000.0f), 1e-37f);  // clamped, finite
  for (float x = -80.0f; x <= 80.0f; x += 0.00917f) {
    const double s = 1 / (1 + std::exp(-static_cast<double>(x)));
    ASSERT_LE(std::fabs(fused::sigmoid(x) - s), 3e-7 * s) << x;
  }
  EXPECT_EQ(fused::sigmoid(1000.0f), 1.0f);
  EXPECT_LT(fused::sigmoid(-1000.0f), 1e-37f);
}

TEST(FusedOps, RmsNormMatchesTheComposition) {
  for (const std::vector<int64_t>& shape : std::vector<std::vector<int64_t>>{{2, 5, 64}, {300, 37}, {1, 1, 8}}) {
    at::manual_seed(1);
    const at::Tensor x = at::randn(shape) * 3, w = 1 + 0.3 * at::randn({shape.back()});
    expect_same_op(
        {x, w}, [](const std::vector<at::Tensor>& t) { return std::vector<at::Tensor>{fused_rms_norm(t[0], t[1], 1e-5)}; },
        [](const std::vector<at::Tensor>& t) {
          return std::vector<at::Tensor>{t[0] * at::rsqrt(t[0].pow(2).mean(-1, true) + 1e-5) * t[1]};
        },
        "rms_norm " + c10::str(at::IntArrayRef(shape)));
  }
}

TEST(FusedOps, QkvRopeMatchesSplitAndRotate) {
  struct Case {
    int64_t B, T, H, KV, d, first_pos;
  };
  for (const Case c : {Case{2, 7, 4, 2, 16, 3}, Case{1, 5, 1, 1, 64, 0}, Case{3, 4, 6, 1, 6, 100}}) {
    DecoderConfig cfg;
    cfg.head_dim = cfg.rotary_dim = c.d;
    cfg.rope_theta = 500.0;
    const Rope rope(cfg);
    const RopeAngles a = rope.angles(at::arange(c.first_pos, c.first_pos + c.T, at::kLong));
    at::manual_seed(2);
    const at::Tensor qkv = at::randn({c.B, c.T, (c.H + 2 * c.KV) * c.d});
    expect_same_op(
        {qkv},
        [&](const std::vector<at::Tensor>& t) {
          const auto out = fused_qkv_rope(t[0], a.cos, a.sin, c.H, c.KV);
          return std::vector<at::Tensor>(out.begin(), out.end());
        },
        [&](const std::vector<at::Tensor>& t) {
          const auto parts = t[0].split({c.H * c.d, c.KV * c.d, c.KV * c.d}, -1);
          auto heads = [&](const at::Tensor& x, int64_t n) { return x.reshape({c.B, c.T, n, c.d}).transpose(1, 2); };
          return std::vector<at::Tensor>{rope.apply(heads(parts[0], c.H), a), rope.apply(heads(parts[1], c.KV), a),
                                         heads(parts[2], c.KV)};
        },
        "qkv_rope B" + std::to_string(c.B) + " H" + std::to_string(c.H) + " KV" + std::to_string(c.KV));
  }
}

TEST(FusedOps, CausalAttentionMatchesAttendWithACausalMask) {
  struct Case {
    int64_t B, H, KV, T, d;
  };
  for (const Case c : {Case{2, 4, 2, 9, 16}, Case{3, 2, 2, 17, 8}, Case{2, 1, 1, 128, 64}, Case{1, 6, 1, 5, 12},
                       Case{1, 4, 2, 32, 16}}) {
    at::manual_seed(3);
    const at::Tensor q = at::randn({c.B, c.H, c.T, c.d}) * 2, k = at::randn({c.B, c.KV, c.T, c.d}) * 2,
                     v = at::randn({c.B, c.KV, c.T, c.d});
    const at::Tensor mask = at::ones({c.T, c.T}, at::kBool).tril();
    expect_same_op(
        {q, k, v},
        [](const std::vector<at::Tensor>& t) { return std::vector<at::Tensor>{fused_causal_attention(t[0], t[1], t[2])}; },
        [&](const std::vector<at::Tensor>& t) {
          const int64_t g = c.H / c.KV;
          return std::vector<at::Tensor>{
              attend(t[0], t[1].repeat_interleave(g, 1), t[2].repeat_interleave(g, 1), Hooks(), "a", mask)};
        },
        "attention B" + std::to_string(c.B) + " H" + std::to_string(c.H) + " KV" + std::to_string(c.KV) + " T" +
            std::to_string(c.T));
  }
}

TEST(FusedOps, CausalAttentionTakesStridedInputsAndMasksExactly) {
  // Non-contiguous q (a transposed view, as a hook might leave it); a future key never leaks in:
  // changing the last key/value changes no output row but the last.
  at::manual_seed(4);
  const at::Tensor q = at::randn({2, 6, 3, 8}).transpose(1, 2), k = at::randn({2, 3, 6, 8}), v = at::randn({2, 3, 6, 8});
  const at::Tensor a = fused_causal_attention(q, k, v);
  expect_close(a, fused_causal_attention(q.contiguous(), k, v), "strided q");
  at::Tensor k2 = k.clone(), v2 = v.clone();
  k2.select(2, 5).add_(10);
  v2.select(2, 5).add_(10);
  const at::Tensor b = fused_causal_attention(q, k2, v2);
  EXPECT_TRUE(at::equal(a.narrow(2, 0, 5), b.narrow(2, 0, 5)));
  EXPECT_FALSE(at::equal(a.narrow(2, 5, 1), b.narrow(2, 5, 1)));
}

TEST(FusedOps, SwigluMlpMatchesTheComposition) {
  // 150 tokens: blocks of rows and a partial last block; gates far into both tails of the sigmoid.
  for (const std::vector<int64_t>& shape : std::vector<std::vector<int64_t>>{{3, 50, 16}, {1, 7, 8}}) {
    at::manual_seed(5);
    const int64_t D = shape.back(), F = 37;
    const at::Tensor x = at::randn(shape) * 3, wg = at::randn({F, D}), wu = at::randn({F, D}) * 0.5,
                     wd = at::randn({D, F}) * 0.3;
    expect_same_op(
        {x, wg, wu, wd},
        [](const std::vector<at::Tensor>& t) { return std::vector<at::Tensor>{fused_swiglu_mlp(t[0], t[1], t[2], t[3])}; },
        [](const std::vector<at::Tensor>& t) {
          return std::vector<at::Tensor>{at::linear(at::silu(at::linear(t[0], t[1])) * at::linear(t[0], t[2]), t[3])};
        },
        "swiglu_mlp " + c10::str(at::IntArrayRef(shape)));
  }
}

// A small trainable decoder (weights are leaves that require grad, as in the trainer).
struct Trainable {
  StateDict weights;  // canonical names
  std::unique_ptr<DecoderLM> lm;
};

Trainable trainable(const std::string& variant, int64_t heads, int64_t kv_heads) {
  nlohmann::json j = {{"model_type", "llama"},        {"vocab_size", 40},          {"hidden_size", 32},
                      {"num_hidden_layers", 2},        {"num_attention_heads", heads}, {"num_key_value_heads", kv_heads},
                      {"intermediate_size", 48},      {"max_position_embeddings", 64}, {"rope_theta", 1000.0}};
  DecoderConfig c = decoder_config_from_hf(j, "tiny");
  c.sink_token = 39;
  c.sigmoid_bias = -std::log(16.0);
  set_attention_variant(c, variant);
  write_attention_fields(c, j);
  StateDict w = random_decoder_weights(j, 11);
  for (auto& [name, t] : w) t = (t * 2).contiguous().requires_grad_(true);  // beyond the init scale
  const DecoderCheckpoint ck = decoder_from_hf(j, w, "tiny");
  return {ck.weights, std::make_unique<DecoderLM>(ck.config, ck.weights)};
}

// Logits and the gradient of every weight of a cross-entropy loss over random ids.
std::vector<std::pair<std::string, at::Tensor>> logits_and_grads(Trainable& m, bool fused, const Hooks& hooks = {}) {
  m.lm->set_fused_training(fused);
  for (auto& [name, t] : m.weights)
    if (t.grad().defined()) t.mutable_grad().zero_();
  at::manual_seed(6);
  const at::Tensor ids = at::randint(0, 39, {3, 21}, at::kLong);
  const at::Tensor logits = m.lm->forward(ids.narrow(1, 0, 20), at::arange(20, at::kLong), nullptr, hooks);
  at::cross_entropy_loss(logits.reshape({-1, 40}), ids.narrow(1, 1, 20).reshape(-1)).backward();
  std::vector<std::pair<std::string, at::Tensor>> out = {{"logits", logits.detach()}};
  for (const auto& [name, t] : m.weights)
    if (t.grad().defined()) out.emplace_back(name + ".grad", t.grad().clone());
  return out;
}

TEST(FusedDecoder, TrainingPathMatchesTheReferencePathForEveryVariant) {
  for (const char* v : {"softmax", "softmax1", "sink_logit", "sigmoid", "gated_elementwise", "gated_headwise", "sink_token"})
    for (const auto& [heads, kv] : std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {4, 2}, {4, 4}}) {
      Trainable m = trainable(v, heads, kv);
      const auto fused = logits_and_grads(m, true), reference = logits_and_grads(m, false);
      ASSERT_EQ(fused.size(), reference.size());
      ASSERT_GT(fused.size(), 10u);
      for (size_t i = 0; i < fused.size(); ++i)
        expect_close(fused[i].second, reference[i].second,
                     std::string(v) + " heads " + std::to_string(heads) + "/" + std::to_string(kv) + ": " + fused[i].first);
    }
}

TEST(FusedDecoder, HooksStillSeeEveryIntermediateAndInferenceKeepsTheReferencePath) {
  Trainable m = trainable("softmax", 4, 2);
  // A hook that wants the attention weights gets them, and the gradients are unchanged.
  Hooks hooks;
  int probs = 0, acts = 0;
  hooks.add("blocks.*.attn.probs", [&](const std::string&, at::Tensor& t) { probs += t.dim() == 4; });
  hooks.add("blocks.*.mlp.act", [&](const std::string&, at::Tensor& t) { acts += t.size(-1) == 48; });
  const auto fused = logits_and_grads(m, true, hooks), reference = logits_and_grads(m, false);
  EXPECT_EQ(probs, 2);
  EXPECT_EQ(acts, 2);
  for (size_t i = 0; i < fused.size(); ++i) expect_close(fused[i].second, reference[i].second, fused[i].first);
  // Without grad (evaluation, inference) the fused path is never taken: bit-identical logits.
  at::NoGradGuard no_grad;
  const at::Tensor ids = at::randint(0, 39, {2, 9}, at::kLong), pos = at::arange(9, at::kLong);
  m.lm->set_fused_training(true);
  const at::Tensor a = m.lm->forward(ids, pos, nullptr, Hooks());
  m.lm->set_fused_training(false);
  EXPECT_TRUE(at::equal(a, m.lm->forward(ids, pos, nullptr, Hooks())));
}

}  // namespace
}  // namespace ss::nn
