#include "train/adamw.h"

#include <cmath>

#include "util/error.h"

namespace ss::train {

AdamW::AdamW(std::vector<Param> params, double beta1, double beta2, double eps, double weight_decay)
    : params_(std::move(params)), beta1_(beta1), beta2_(beta2), eps_(eps), wd_(weight_decay) {
  for (const auto& p : params_) {
    m_.push_back(at::zeros_like(p.value));
    v_.push_back(at::zeros_like(p.value));
  }
}

void AdamW::step(double lr) {
  at::NoGradGuard no_grad;
  ++t_;
  const double bc1 = 1 - std::pow(beta1_, static_cast<double>(t_));
  const double bc2_sqrt = std::sqrt(1 - std::pow(beta2_, static_cast<double>(t_)));
  for (size_t i = 0; i < params_.size(); ++i) {
    at::Tensor& p = params_[i].value;
    const at::Tensor& g = p.grad();
    if (!g.defined()) continue;
    if (params_[i].decay && wd_ > 0) p.mul_(1 - lr * wd_);  // decoupled weight decay
    m_[i].mul_(beta1_).add_(g, 1 - beta1_);
    v_[i].mul_(beta2_).addcmul_(g, g, 1 - beta2_);
    const at::Tensor denom = (v_[i].sqrt() / bc2_sqrt).add_(eps_);
    p.addcdiv_(m_[i], denom, -lr / bc1);
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
