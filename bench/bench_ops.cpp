// The ViT's hot operations at DINOv2-S/14 224px batch-8 shapes: matrix products per dtype, and
// attention with and without materialised probabilities (what a hook that asks for them costs).
#include <benchmark/benchmark.h>

#include "nn/attention.h"
#include "nn/runtime.h"

namespace {

void BM_LinearQkv(benchmark::State& state) {
  ss::nn::set_threads(0);
  const auto dtype = state.range(0) == 0 ? at::kFloat : at::kBFloat16;
  const at::Tensor x = at::randn({8 * 257, 384}).to(dtype), w = at::randn({3 * 384, 384}).to(dtype);
  for (auto _ : state) benchmark::DoNotOptimize(at::linear(x, w));
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * 8 * 257 * 384 * 3 * 384 * state.iterations(),
                                                 benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
  state.SetLabel(dtype == at::kFloat ? "f32" : "bf16");
}
BENCHMARK(BM_LinearQkv)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_Attention(benchmark::State& state) {
  ss::nn::set_threads(0);
  const at::Tensor q = at::randn({8, 6, 257, 64}), k = at::randn({8, 6, 257, 64}), v = at::randn({8, 6, 257, 64});
  ss::nn::Hooks hooks;
  if (state.range(0)) hooks.add("a.probs", [](const std::string&, at::Tensor&) {});
  for (auto _ : state) benchmark::DoNotOptimize(ss::nn::attend(q, k, v, hooks, "a"));
  state.SetLabel(state.range(0) ? "probs materialised for a hook" : "no hook");
}
BENCHMARK(BM_Attention)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace
