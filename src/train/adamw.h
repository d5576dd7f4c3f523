// AdamW (Loshchilov & Hutter 2019) in the form of torch.optim.AdamW, with its state as named
// tensors so a checkpoint can store it in safetensors and a resumed run continues bit for bit.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

#include "nn/state_dict.h"

namespace ss::train {

struct Param {
  std::string name;  // Hugging Face name, as in model.safetensors
  at::Tensor value;  // f32 leaf tensor with requires_grad
  bool decay;        // weight decay applies (matrices and embeddings; not norms, gates' biases, sinks)
};

class AdamW {
 public:
  AdamW(std::vector<Param> params, double beta1, double beta2, double eps, double weight_decay);

  // One update with learning rate `lr` from the parameters' .grad(); parameters without a gradient
  // are left alone (as torch does).
  void step(double lr);
  void zero_grad();
  // Scales every gradient so their global L2 norm is at most `max_norm` (0: no clipping); returns
  // the norm before clipping (torch.nn.utils.clip_grad_norm_).
  double clip_grad_norm(double max_norm);

  const std::vector<Param>& params() const { return params_; }
  std::vector<at::Tensor> grads() const;  // defined gradients, in parameter order
  int64_t steps_taken() const { return t_; }

  // "<name>.exp_avg" / "<name>.exp_avg_sq" for every parameter.
  nn::StateDict state() const;
  // Restores state() of an optimiser over the same parameters after `steps` updates. Throws
  // ss::Error naming the first missing or mis-shaped tensor.
  void load_state(const nn::StateDict& state, int64_t steps);

 private:
  std::vector<Param> params_;
  std::vector<at::Tensor> m_, v_;
  double beta1_, beta2_, eps_, wd_;
  int64_t t_ = 0;
};

}  // namespace ss::train
