// One training step of the configs/train/bb-softmax.json model (2 layers, d 64, 1 head, ffn 256,
// batch 64 x 128, f32, 1 thread) on the fused training path vs the reference ATen composition, and
// each fused op (forward + backward) vs the ops it replaces, at that model's shapes. The end-to-end
// comparison with PyTorch eager is scripts/bench-train.sh (docs/benchmarks.md).
#include <benchmark/benchmark.h>

#include <nlohmann/json.hpp>

#include "nn/attention.h"
#include "nn/decoder.h"
#include "nn/decoder_init.h"
#include "nn/decoder_loader.h"
#include "nn/fused_attention.h"
#include "nn/fused_rmsnorm.h"
#include "nn/fused_rope.h"
#include "nn/fused_mlp.h"
#include "nn/runtime.h"
#include "train/adamw.h"

namespace {

constexpr int64_t kB = 64, kT = 128, kD = 64, kF = 256, kVocab = 64;

struct Step {
  std::vector<ss::train::Param> params;
  std::unique_ptr<ss::nn::DecoderLM> lm;
  std::unique_ptr<ss::train::AdamW> opt;
  at::Tensor ids;
};

Step make_step(bool fused) {
  const nlohmann::json hf = {{"model_type", "llama"},         {"vocab_size", kVocab},      {"hidden_size", kD},
                             {"num_hidden_layers", 2},         {"num_attention_heads", 1},  {"num_key_value_heads", 1},
                             {"intermediate_size", kF},        {"max_position_embeddings", 256}};
  Step s;
  ss::nn::StateDict w = ss::nn::random_decoder_weights(hf, 0);
  for (auto& [name, t] : w) {
    t = t.contiguous().requires_grad_(true);
    s.params.push_back({name, t, t.dim() >= 2});
  }
  const ss::nn::DecoderCheckpoint ck = ss::nn::decoder_from_hf(hf, w, "bench");
  s.lm = std::make_unique<ss::nn::DecoderLM>(ck.config, ck.weights);
  s.lm->set_fused_training(fused);
  s.opt = std::make_unique<ss::train::AdamW>(s.params, 0.9, 0.95, 1e-8, 0.1);
  at::manual_seed(0);
  s.ids = at::randint(0, kVocab, {kB, kT + 1}, at::kLong);
  return s;
}

void BM_TrainStep(benchmark::State& state) {
  ss::nn::set_threads(1);
  ss::nn::tune_allocator();  // as the CLI does
  Step s = make_step(state.range(0) != 0);
  const at::Tensor inputs = s.ids.narrow(1, 0, kT), targets = s.ids.narrow(1, 1, kT).reshape(-1);
  for (auto _ : state) {
    const at::Tensor logits = s.lm->forward(inputs, at::arange(kT, at::kLong), nullptr, ss::nn::Hooks());
    at::Tensor loss = at::cross_entropy_loss(logits.reshape({-1, kVocab}), targets);
    loss.backward();
    benchmark::DoNotOptimize(loss.item<double>());
    s.opt->clip_grad_norm(1.0);
    s.opt->step(1e-3);
    s.opt->zero_grad();
  }
  state.counters["tok/s"] = benchmark::Counter(static_cast<double>(kB * kT * state.iterations()), benchmark::Counter::kIsRate);
  state.SetLabel(state.range(0) ? "fused" : "reference");
}
BENCHMARK(BM_TrainStep)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime();

// Forward + backward of f (fused) or g (reference) on leaves `x`, a ones cotangent.
template <typename F>
void forward_backward(benchmark::State& state, std::vector<at::Tensor> x, F f) {
  ss::nn::set_threads(1);
  ss::nn::tune_allocator();
  for (auto& t : x) t.requires_grad_(true);
  for (auto _ : state) {
    at::Tensor y = f(x);
    y.backward(at::ones_like(y));
    for (auto& t : x) t.mutable_grad().reset();
  }
}

void BM_RmsNorm(benchmark::State& state) {
  const at::Tensor x = at::randn({kB, kT, kD}), w = at::randn({kD});
  if (state.range(0))
    forward_backward(state, {x, w}, [](const std::vector<at::Tensor>& t) { return ss::nn::fused_rms_norm(t[0], t[1], 1e-5); });
  else
    forward_backward(state, {x, w}, [](const std::vector<at::Tensor>& t) {
      return t[0] * at::rsqrt(t[0].pow(2).mean(-1, true) + 1e-5) * t[1];
    });
  state.SetLabel(state.range(0) ? "fused" : "reference");
}
BENCHMARK(BM_RmsNorm)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

void BM_QkvRope(benchmark::State& state) {
  ss::nn::DecoderConfig c;
  c.head_dim = c.rotary_dim = kD;
  const ss::nn::Rope rope(c);
  const ss::nn::RopeAngles a = rope.angles(at::arange(kT, at::kLong));
  const at::Tensor qkv = at::randn({kB, kT, 3 * kD});
  if (state.range(0))
    forward_backward(state, {qkv}, [&](const std::vector<at::Tensor>& t) {
      const auto o = ss::nn::fused_qkv_rope(t[0], a.cos, a.sin, 1, 1);
      return o[0] + o[1] + o[2];
    });
  else
    forward_backward(state, {qkv}, [&](const std::vector<at::Tensor>& t) {
      const auto p = t[0].chunk(3, -1);
      auto heads = [](const at::Tensor& x) { return x.view({kB, kT, 1, kD}).transpose(1, 2); };
      return rope.apply(heads(p[0]), a) + rope.apply(heads(p[1]), a) + heads(p[2]);
    });
  state.SetLabel(state.range(0) ? "fused" : "reference");
}
BENCHMARK(BM_QkvRope)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

void BM_CausalAttention(benchmark::State& state) {
  const at::Tensor q = at::randn({kB, 1, kT, kD}), k = at::randn({kB, 1, kT, kD}), v = at::randn({kB, 1, kT, kD});
  const at::Tensor mask = at::ones({kT, kT}, at::kBool).tril();
  if (state.range(0))
    forward_backward(state, {q, k, v},
                     [](const std::vector<at::Tensor>& t) { return ss::nn::fused_causal_attention(t[0], t[1], t[2]); });
  else
    forward_backward(state, {q, k, v}, [&](const std::vector<at::Tensor>& t) {
      return ss::nn::attend(t[0], t[1], t[2], ss::nn::Hooks(), "a", mask);
    });
  state.SetLabel(state.range(0) ? "fused" : "reference");
}
BENCHMARK(BM_CausalAttention)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_SwigluMlp(benchmark::State& state) {
  const at::Tensor x = at::randn({kB, kT, kD}), wg = at::randn({kF, kD}), wu = at::randn({kF, kD}), wd = at::randn({kD, kF});
  if (state.range(0))
    forward_backward(state, {x, wg, wu, wd},
                     [](const std::vector<at::Tensor>& t) { return ss::nn::fused_swiglu_mlp(t[0], t[1], t[2], t[3]); });
  else
    forward_backward(state, {x, wg, wu, wd}, [](const std::vector<at::Tensor>& t) {
      return at::linear(at::silu(at::linear(t[0], t[1])) * at::linear(t[0], t[2]), t[3]);
    });
  state.SetLabel(state.range(0) ? "fused" : "reference");
}
BENCHMARK(BM_SwigluMlp)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace
