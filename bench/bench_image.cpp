// Preprocessing cost per image: PIL-exact resampling (the DINOv2 eval resize) and the full transform.
#include <benchmark/benchmark.h>

#include <random>

#include "image/resample.h"
#include "image/transform.h"

namespace {

ss::image::Image noise(int w, int h) {
  ss::image::Image im;
  im.width = w;
  im.height = h;
  im.rgb.resize(static_cast<size_t>(w) * h * 3);
  std::mt19937 rng(0);
  for (auto& v : im.rgb) v = static_cast<uint8_t>(rng());
  return im;
}

void BM_ResizeBicubic(benchmark::State& state) {
  const auto im = noise(500, 375);  // a typical VOC photo
  for (auto _ : state) benchmark::DoNotOptimize(ss::image::resize(im, 341, 256, ss::image::Filter::Bicubic));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ResizeBicubic);

void BM_Dinov2EvalTransform(benchmark::State& state) {
  const auto im = noise(500, 375);
  const auto p = ss::image::dinov2_eval_transform();
  int h = 0, w = 0;
  for (auto _ : state) benchmark::DoNotOptimize(ss::image::preprocess(im, p, &h, &w));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Dinov2EvalTransform);

}  // namespace
