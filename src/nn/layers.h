// Small building blocks shared by the ViT and decoder engines.
#pragma once

#include <ATen/ATen.h>

#include "nn/vit_config.h"

namespace ss::nn {

at::Tensor activate(const at::Tensor& x, Activation a);

// y = x W^T + b. When W has a lower-precision dtype than x (bf16 weights, float32 stream), the
// product runs in W's dtype and the result returns to x's dtype, as CPU autocast does; biases stay
// in float32. `b` may be undefined.
at::Tensor linear(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b);

// Looks up `name` in a canonical state dict and checks its shape; returns it as contiguous float32,
// or an undefined tensor when `optional` and absent. Throws ss::Error naming the tensor.
at::Tensor take_weight(const std::map<std::string, at::Tensor>& w, const std::string& name,
                       std::vector<int64_t> shape, bool optional = false);

}  // namespace ss::nn
