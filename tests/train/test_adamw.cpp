// The one-pass AdamW update (train/adamw.h) against torch.optim.AdamW's single-tensor step written
// as the ATen ops torch runs, over several steps, decayed and undecayed parameters of odd sizes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "nn/runtime.h"
#include "train/adamw.h"

namespace ss::train {
namespace {

// torch/optim/adamw.py _single_tensor_adamw, op for op.
struct ReferenceAdamW {
  std::vector<at::Tensor> p, m, v;
  std::vector<bool> decay;
  double b1 = 0.9, b2 = 0.95, eps = 1e-8, wd = 0.1;
  int64_t t = 0;

  void step(const std::vector<at::Tensor>& grads, double lr) {
    ++t;
    const double bc1 = 1 - std::pow(b1, static_cast<double>(t)), bc2_sqrt = std::sqrt(1 - std::pow(b2, static_cast<double>(t)));
    for (size_t i = 0; i < p.size(); ++i) {
      if (decay[i]) p[i].mul_(1 - lr * wd);
      m[i].mul_(b1).add_(grads[i], 1 - b1);
      v[i].mul_(b2).addcmul_(grads[i], grads[i], 1 - b2);
      const at::Tensor denom = (v[i].sqrt() / bc2_sqrt).add_(eps);
      p[i].addcdiv_(m[i], denom, -lr / bc1);
    }
  }
};

// max |a - b| / max |b|
double scaled_diff(const at::Tensor& a, const at::Tensor& b) {
  return (a - b).abs().max().item<double>() / std::max(b.abs().max().item<double>(), 1e-30);
}

TEST(AdamW, OnePassUpdateFollowsTorchsStepOpForOp) {
  at::manual_seed(0);
  std::vector<Param> params;
  ReferenceAdamW ref;
  const std::vector<std::vector<int64_t>> shapes = {{64, 64}, {37}, {5, 13}, {1}};
  for (size_t i = 0; i < shapes.size(); ++i) {
    const at::Tensor w = at::randn(shapes[i]);
    const bool decay = shapes[i].size() >= 2;
    params.push_back({"p" + std::to_string(i), w.clone().requires_grad_(true), decay});
    ref.p.push_back(w.clone());
    ref.m.push_back(at::zeros_like(w));
    ref.v.push_back(at::zeros_like(w));
    ref.decay.push_back(decay);
  }
  AdamW opt(params, ref.b1, ref.b2, ref.eps, ref.wd);
  double worst = 0;
  for (int step = 0; step < 6; ++step) {
    std::vector<at::Tensor> grads;
    for (auto& p : params) {
      grads.push_back(at::randn(p.value.sizes()) * std::pow(10.0, step - 3));  // gradients over six decades
      p.value.mutable_grad() = grads.back().clone();
    }
    const double lr = 3e-3 * (step + 1);
    opt.step(lr);
    ref.step(grads, lr);
    for (size_t i = 0; i < params.size(); ++i) {
      const nn::StateDict state = opt.state();
      worst = std::max({worst, scaled_diff(params[i].value.detach(), ref.p[i]),
                        scaled_diff(state.at(params[i].name + ".exp_avg"), ref.m[i]),
                        scaled_diff(state.at(params[i].name + ".exp_avg_sq"), ref.v[i])});
    }
  }
  // ATen's vectorised kernels (AVX2 and up) round add(alpha) and addcmul as fused multiply-adds,
  // as the one-pass update does: bit-identical there; elsewhere torch rounds twice.
  if (nn::cpu_description().find("(generic)") == std::string::npos)
    EXPECT_EQ(worst, 0.0) << "bit-identical to torch's step";
  else
    EXPECT_LE(worst, 1e-6);
}

}  // namespace
}  // namespace ss::train
