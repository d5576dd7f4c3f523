// RMSNorm forward and backward as two row loops (fused_rmsnorm.h).
//
// Forward, per row x of length D:  s = 1 / sqrt(sum(x^2) / D + eps),  y = (x s) w.
// Backward (y_i = x_i s w_i, ds/dx_j = -s^3 x_j / D), with g = dy w:
//   dx = s g - x (s^3 / D) sum_i(g_i x_i),   dw = sum over rows of dy (x s).
// dw is summed in fixed blocks of rows combined in order, so it does not depend on the thread count.
#include "nn/fused_rmsnorm.h"

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <cmath>

#include "nn/fused_vec.h"

namespace ss::nn {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

constexpr int64_t kBlock = 256;  // rows per dw partial sum

SS_FUSED_KERNEL void rms_forward_rows(const float* x, const float* w, float* y, float* rstd, int64_t rows,
                                      int64_t D, float eps) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * D;
    float* yr = y + r * D;
    const float s = 1.0f / std::sqrt(fused::dot(xr, xr, D) / static_cast<float>(D) + eps);
    rstd[r] = s;
    for (int64_t i = 0; i < D; ++i) yr[i] = (xr[i] * s) * w[i];
  }
}

// dx for `rows` rows, and dw_acc += their share of dw.
SS_FUSED_KERNEL void rms_backward_rows(const float* x, const float* w, const float* rstd, const float* dy,
                                       float* dx, float* dw_acc, int64_t rows, int64_t D) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * D;
    const float* gr = dy + r * D;
    float* dxr = dx + r * D;
    const float s = rstd[r];
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 8 <= D; i += 8)
      for (int j = 0; j < 8; ++j) acc[j] += (gr[i + j] * w[i + j]) * xr[i + j];
    for (; i < D; ++i) acc[i & 7] += (gr[i] * w[i]) * xr[i];
    const float c = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    const float k = s * s * s * c / static_cast<float>(D);
    for (i = 0; i < D; ++i) {
      dxr[i] = s * (gr[i] * w[i]) - xr[i] * k;
      dw_acc[i] += gr[i] * (xr[i] * s);
    }
  }
}

struct RmsNormFn : torch::autograd::Function<RmsNormFn> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x_in, const at::Tensor& w_in, double eps) {
    const at::Tensor x = x_in.contiguous(), w = w_in.contiguous();
    const int64_t D = x.size(-1), N = x.numel() / std::max<int64_t>(D, 1);
    at::Tensor y = at::empty_like(x), rstd = at::empty({N}, x.options());
    const float *xp = x.data_ptr<float>(), *wp = w.data_ptr<float>();
    float *yp = y.data_ptr<float>(), *sp = rstd.data_ptr<float>();
    at::parallel_for(0, N, kBlock, [&](int64_t b, int64_t e) {
      rms_forward_rows(xp + b * D, wp, yp + b * D, sp + b, e - b, D, static_cast<float>(eps));
    });
    ctx->save_for_backward({x, w, rstd});
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor &x = saved[0], &w = saved[1], &rstd = saved[2];
    const at::Tensor dy = grads[0].contiguous();
    const int64_t D = x.size(-1), N = rstd.numel(), blocks = (N + kBlock - 1) / kBlock;
    at::Tensor dx = at::empty_like(x), partial = at::zeros({std::max<int64_t>(blocks, 1), D}, x.options());
    const float *xp = x.data_ptr<float>(), *wp = w.data_ptr<float>(), *sp = rstd.data_ptr<float>(),
                *gp = dy.data_ptr<float>();
    float *dxp = dx.data_ptr<float>(), *pp = partial.data_ptr<float>();
    at::parallel_for(0, blocks, 1, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        const int64_t r0 = b * kBlock, rows = std::min(kBlock, N - r0);
        rms_backward_rows(xp + r0 * D, wp, sp + r0, gp + r0 * D, dxp + r0 * D, pp + b * D, rows, D);
      }
    });
    // Blocks in order: the same sum for any number of threads.
    at::Tensor dw = at::zeros({D}, x.options());
    float* dwp = dw.data_ptr<float>();
    for (int64_t b = 0; b < blocks; ++b)
      for (int64_t i = 0; i < D; ++i) dwp[i] += pp[b * D + i];
    return {dx, dw, at::Tensor()};
  }
};

}  // namespace

at::Tensor fused_rms_norm(const at::Tensor& x, const at::Tensor& w, double eps) {
  TORCH_CHECK(x.scalar_type() == at::kFloat && w.scalar_type() == at::kFloat && x.size(-1) == w.numel(),
              "fused_rms_norm: float32 x [..., D] and w [D]");
  return RmsNormFn::apply(x, w, eps);
}

}  // namespace ss::nn
