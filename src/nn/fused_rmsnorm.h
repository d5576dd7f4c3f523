// RMSNorm with a hand-written backward: one pass over x forward (saving 1/rms per row), one pass
// backward, instead of the six elementwise ops (and their six backward ops) of the composition
// x * rsqrt(mean(x^2) + eps) * w. Same math; float32 on CPU (training path, nn::DecoderLM).
#pragma once

#include <ATen/ATen.h>

namespace ss::nn {

// x: [..., D] float32, w: [D] float32. Differentiable in x and w.
at::Tensor fused_rms_norm(const at::Tensor& x, const at::Tensor& w, double eps);

}  // namespace ss::nn
