// SwiGLU MLP forward and backward over blocks of rows (fused_mlp.h).
//
// Per block of rows X (Shazeer 2020, "GLU Variants Improve Transformer"), with W = [W_gate; W_up]:
//   [G | U] = X W^T,   s = sigmoid(G) = 1 / (1 + exp(-G)),   A = G s U,   Y = A W_down^T.
// Backward, with silu'(g) = s (1 + g (1 - s)) as torch's silu_backward:
//   dA = dY W_down,   dW_down += dY^T A,
//   dG = dA U s (1 + G (1 - s)),   dU = dA G s,
//   dX = [dG | dU] W,   dW += [dG | dU]^T X.
// Only [G | U] is kept for the backward: A is recomputed there with the sigmoid the gradient needs
// anyway, which is cheaper than writing A out and reading it back.
// The weight gradients sum the blocks in order, so they do not depend on the thread count.
#include "nn/fused_mlp.h"

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include "nn/fused_vec.h"

namespace ss::nn {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Rows per block: a block's [rows, 2F] activations (256 KB at F = 256) and their gradient stay in
// cache between the products that use them; measured against 32-256 and unblocked at the bb-softmax shapes.
constexpr int64_t kRows = 128;

// One row (the loops see distinct, restrict-qualified arrays, so GCC vectorises them).
inline void swiglu_forward_row(const float* __restrict g, const float* __restrict u, float* __restrict a, int64_t F) {
  for (int64_t i = 0; i < F; ++i) a[i] = g[i] * fused::sigmoid(g[i]) * u[i];
}

// The activation again (for dW_down) and the gradient of [G | U], with one sigmoid per element.
inline void swiglu_backward_row(const float* __restrict g, const float* __restrict u, const float* __restrict da,
                                float* __restrict a, float* __restrict dg, float* __restrict du, int64_t F) {
  for (int64_t i = 0; i < F; ++i) {
    const float s = fused::sigmoid(g[i]), silu = g[i] * s;
    a[i] = silu * u[i];
    dg[i] = da[i] * u[i] * (s * (1.0f + g[i] * (1.0f - s)));
    du[i] = da[i] * silu;
  }
}

SS_FUSED_KERNEL void swiglu_forward_rows(const float* gu, float* a, int64_t F, int64_t r0, int64_t r1) {
  for (int64_t r = r0; r < r1; ++r) swiglu_forward_row(gu + r * 2 * F, gu + r * 2 * F + F, a + r * F, F);
}

SS_FUSED_KERNEL void swiglu_backward_rows(const float* gu, const float* da, float* a, float* dgu, int64_t F,
                                          int64_t r0, int64_t r1) {
  for (int64_t r = r0; r < r1; ++r)
    swiglu_backward_row(gu + r * 2 * F, gu + r * 2 * F + F, da + r * F, a + r * F, dgu + r * 2 * F,
                        dgu + r * 2 * F + F, F);
}

struct SwigluMlpFn : torch::autograd::Function<SwigluMlpFn> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x_in, const at::Tensor& w_gate,
                            const at::Tensor& w_up, const at::Tensor& w_down) {
    const at::Tensor x = x_in.contiguous();
    const int64_t D = x.size(-1), N = x.numel() / std::max<int64_t>(D, 1), F = w_gate.size(0);
    const at::Tensor h = x.view({N, D}), w = at::cat({w_gate, w_up}), wd = w_down.contiguous();
    at::Tensor gu = at::empty({N, 2 * F}, x.options()), y = at::empty({N, D}, x.options());
    at::Tensor a = at::empty({std::min(kRows, N), F}, x.options());
    for (int64_t r0 = 0; r0 < N; r0 += kRows) {
      const int64_t rows = std::min(kRows, N - r0);
      at::Tensor gu_r = gu.narrow(0, r0, rows), a_r = a.narrow(0, 0, rows), y_r = y.narrow(0, r0, rows);
      at::mm_out(gu_r, h.narrow(0, r0, rows), w.t());
      const float* gp = gu_r.data_ptr<float>();
      float* ap = a_r.data_ptr<float>();
      at::parallel_for(0, rows, 16, [&](int64_t b, int64_t e) { swiglu_forward_rows(gp, ap, F, b, e); });
      at::mm_out(y_r, a_r, wd.t());
    }
    ctx->save_for_backward({h, w, wd, gu});
    return y.view(x.sizes());
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor &h = saved[0], &w = saved[1], &wd = saved[2], &gu = saved[3];
    const int64_t N = h.size(0), D = h.size(1), F = wd.size(1), R = std::min(kRows, N);
    const at::Tensor dy = grads[0].contiguous().view({N, D});
    at::Tensor dx = at::empty({N, D}, h.options()), dw = at::zeros({2 * F, D}, h.options()),
               dwd = at::zeros({D, F}, h.options());
    at::Tensor a = at::empty({R, F}, h.options()), da = at::empty({R, F}, h.options()),
               dgu = at::empty({R, 2 * F}, h.options());
    for (int64_t r0 = 0; r0 < N; r0 += kRows) {
      const int64_t rows = std::min(kRows, N - r0);
      const at::Tensor gu_r = gu.narrow(0, r0, rows), dy_r = dy.narrow(0, r0, rows), h_r = h.narrow(0, r0, rows);
      at::Tensor a_r = a.narrow(0, 0, rows), da_r = da.narrow(0, 0, rows), dgu_r = dgu.narrow(0, 0, rows),
                 dx_r = dx.narrow(0, r0, rows);
      at::mm_out(da_r, dy_r, wd);
      const float *gp = gu_r.data_ptr<float>(), *dap = da_r.data_ptr<float>();
      float *ap = a_r.data_ptr<float>(), *dp = dgu_r.data_ptr<float>();
      at::parallel_for(0, rows, 16, [&](int64_t b, int64_t e) { swiglu_backward_rows(gp, dap, ap, dp, F, b, e); });
      dwd.addmm_(dy_r.t(), a_r);
      at::mm_out(dx_r, dgu_r, w);
      dw.addmm_(dgu_r.t(), h_r);
    }
    return {dx.view(grads[0].sizes()), dw.narrow(0, 0, F), dw.narrow(0, F, F), dwd};
  }
};

}  // namespace

at::Tensor fused_swiglu_mlp(const at::Tensor& x, const at::Tensor& w_gate, const at::Tensor& w_up,
                            const at::Tensor& w_down) {
  TORCH_CHECK(x.scalar_type() == at::kFloat && w_gate.scalar_type() == at::kFloat && w_up.scalar_type() == at::kFloat &&
                  w_down.scalar_type() == at::kFloat && w_gate.dim() == 2 && w_up.sizes() == w_gate.sizes() &&
                  w_gate.size(1) == x.size(-1) && w_down.dim() == 2 && w_down.size(0) == x.size(-1) &&
                  w_down.size(1) == w_gate.size(0),
              "fused_swiglu_mlp: float32 x [..., D], w_gate, w_up [F, D], w_down [D, F]");
  return SwigluMlpFn::apply(x, w_gate, w_up, w_down);
}

}  // namespace ss::nn
