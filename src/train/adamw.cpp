#include "train/adamw.h"

#include <cmath>

#include "nn/fused_vec.h"
#include "util/error.h"

namespace ss::train {

AdamW::AdamW(std::vector<Param> params, double beta1, double beta2, double eps, double weight_decay)
    : params_(std::move(params)), beta1_(beta1), beta2_(beta2), eps_(eps), wd_(weight_decay) {
  for (const auto& p : params_) {
    m_.push_back(at::zeros_like(p.value));
    v_.push_back(at::zeros_like(p.value));
  }
}

namespace {

// One parameter's update in one pass, rounding exactly as torch.optim.AdamW's single-tensor step
// (one ATen op per line there) does on an AVX2 CPU, where ATen's add(alpha) and addcmul are fused
// multiply-adds and the other ops are not (adamw.cpp is built with -ffp-contract=off, so the
// compiler adds no others):
//   p = p * (1 - lr wd)                                   (decoupled decay, Loshchilov & Hutter 2019)
//   m = fma(g, 1 - b1, m b1),   v = fma((1 - b2) g, g, v b2)
//   p = p + ((-lr / (1 - b1^t)) m) / (sqrt(v) / sqrt(1 - b2^t) + eps)
struct Coefs {
  float decay, b1, one_minus_b1, b2, one_minus_b2, bc2_sqrt, eps, step;
};

SS_FUSED_KERNEL void adamw_update(float* p, const float* g, float* m, float* v, int64_t n, const Coefs& c) {
  for (int64_t i = 0; i < n; ++i) {
    const float mi = std::fma(g[i], c.one_minus_b1, m[i] * c.b1);
    const float vi = std::fma(c.one_minus_b2 * g[i], g[i], v[i] * c.b2);
    m[i] = mi;
    v[i] = vi;
    const float decayed = p[i] * c.decay;
    p[i] = decayed + c.step * mi / (std::sqrt(vi) / c.bc2_sqrt + c.eps);
  }
}

}  // namespace

void AdamW::step(double lr) {
  at::NoGradGuard no_grad;
  ++t_;
  const double bc1 = 1 - std::pow(beta1_, static_cast<double>(t_));
  const double bc2_sqrt = std::sqrt(1 - std::pow(beta2_, static_cast<double>(t_)));
  for (size_t i = 0; i < params_.size(); ++i) {
    at::Tensor& p = params_[i].value;
    const at::Tensor& g = p.grad();
    if (!g.defined()) continue;
    TORCH_CHECK(p.is_contiguous() && p.scalar_type() == at::kFloat && g.scalar_type() == at::kFloat,
                "AdamW: contiguous float32 parameters");
    const at::Tensor grad = g.contiguous();
    const Coefs c{static_cast<float>(params_[i].decay && wd_ > 0 ? 1 - lr * wd_ : 1.0),
                  static_cast<float>(beta1_), static_cast<float>(1 - beta1_), static_cast<float>(beta2_),
                  static_cast<float>(1 - beta2_), static_cast<float>(bc2_sqrt), static_cast<float>(eps_),
                  static_cast<float>(-lr / bc1)};
    adamw_update(p.data_ptr<float>(), grad.data_ptr<float>(), m_[i].data_ptr<float>(), v_[i].data_ptr<float>(),
                 p.numel(), c);
    for (at::Tensor* t : {&p, &m_[i], &v_[i]}) t->unsafeGetTensorImpl()->bump_version();  // written in place
  }
}

void AdamW::zero_grad() {
  for (auto& p : params_)
    if (p.value.grad().defined()) p.value.mutable_grad().zero_();
}

std::vector<at::Tensor> AdamW::grads() const {
  std::vector<at::Tensor> g;
  for (const auto& p : params_)
    if (p.value.grad().defined()) g.push_back(p.value.grad());
  return g;
}

double AdamW::clip_grad_norm(double max_norm) {
  at::NoGradGuard no_grad;
  const std::vector<at::Tensor> g = grads();
  if (g.empty()) return 0;
  std::vector<at::Tensor> norms;
  for (const auto& t : g) norms.push_back(t.norm().unsqueeze(0));
  const double total = at::cat(norms).norm().item<double>();
  if (max_norm > 0 && total > max_norm) {
    const double scale = max_norm / (total + 1e-6);
    for (auto t : g) t.mul_(scale);
  }
  return total;
}

nn::StateDict AdamW::state() const {
  nn::StateDict s;
  for (size_t i = 0; i < params_.size(); ++i) {
    s[params_[i].name + ".exp_avg"] = m_[i];
    s[params_[i].name + ".exp_avg_sq"] = v_[i];
  }
  return s;
}

void AdamW::load_state(const nn::StateDict& state, int64_t steps) {
  at::NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i)
    for (const auto& [suffix, dst] :
         std::initializer_list<std::pair<const char*, at::Tensor*>>{{".exp_avg", &m_[i]}, {".exp_avg_sq", &v_[i]}}) {
      const std::string name = params_[i].name + suffix;
      const auto it = state.find(name);
      if (it == state.end()) throw Error("optimizer state: tensor " + name + " missing");
      if (!it->second.sizes().equals(dst->sizes()))
        throw Error("optimizer state: tensor " + name + " has shape " + c10::str(it->second.sizes()) + ", expected " +
                    c10::str(dst->sizes()));
      dst->copy_(it->second);
    }
  t_ = steps;
}

}  // namespace ss::train
