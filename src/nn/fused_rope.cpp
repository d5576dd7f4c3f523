// Head split + rotary embedding, forward and backward (fused_rope.h).
//
// Rotate-half RoPE on a head x of size d = 2h, with c = cos(t theta), s = sin(t theta) per pair:
//   y_i     = x_i c_i         - x_{i+h} s_i          (i < h)
//   y_{i+h} = x_{i+h} c_{i+h} + x_i s_{i+h}
// which is x cos + rotate_half(x) sin (Su et al. 2021; HF apply_rotary_pos_emb). The map is a
// rotation per pair, so the backward is its transpose (the rotation by -theta):
//   dx_i     = dy_i c_i         + dy_{i+h} s_{i+h}
//   dx_{i+h} = dy_{i+h} c_{i+h} - dy_i s_i
// v is only moved between layouts, so its gradient is moved back.
#include "nn/fused_rope.h"

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include "nn/fused_vec.h"

namespace ss::nn {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct Layout {
  int64_t B, T, H, KV, d;
  int64_t width() const { return (H + 2 * KV) * d; }
  // Offset of head n (q heads, then k, then v) of token t in the [B, heads, T, d] tensor it belongs to.
  int64_t head_offset(int64_t b, int64_t t, int64_t n) const {
    const int64_t heads = n < H ? H : KV, j = n < H ? n : (n - H) % KV;
    return ((b * heads + j) * T + t) * d;
  }
};

// Forward for tokens [r0, r1) of the flattened [B * T] rows.
SS_FUSED_KERNEL void rope_forward_rows(const float* qkv, const float* cos, const float* sin, float* q, float* k,
                                       float* v, Layout L, int64_t r0, int64_t r1) {
  const int64_t h = L.d / 2;
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t b = r / L.T, t = r % L.T;
    const float *c = cos + t * L.d, *s = sin + t * L.d, *row = qkv + r * L.width();
    for (int64_t n = 0; n < L.H + 2 * L.KV; ++n) {
      const float* x = row + n * L.d;
      float* y = (n < L.H ? q : n < L.H + L.KV ? k : v) + L.head_offset(b, t, n);
      if (n >= L.H + L.KV) {
        for (int64_t i = 0; i < L.d; ++i) y[i] = x[i];
        continue;
      }
      for (int64_t i = 0; i < h; ++i) {
        y[i] = x[i] * c[i] - x[i + h] * s[i];
        y[i + h] = x[i + h] * c[i + h] + x[i] * s[i + h];
      }
    }
  }
}

// Backward: dqkv rows [r0, r1) from dq, dk, dv (nullptr: zero gradient).
SS_FUSED_KERNEL void rope_backward_rows(const float* dq, const float* dk, const float* dv, const float* cos,
                                        const float* sin, float* dqkv, Layout L, int64_t r0, int64_t r1) {
  const int64_t h = L.d / 2;
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t b = r / L.T, t = r % L.T;
    const float *c = cos + t * L.d, *s = sin + t * L.d;
    float* row = dqkv + r * L.width();
    for (int64_t n = 0; n < L.H + 2 * L.KV; ++n) {
      float* dx = row + n * L.d;
      const float* g = n < L.H ? dq : n < L.H + L.KV ? dk : dv;
      if (!g) {
        for (int64_t i = 0; i < L.d; ++i) dx[i] = 0;
        continue;
      }
      const float* dy = g + L.head_offset(b, t, n);
      if (n >= L.H + L.KV) {
        for (int64_t i = 0; i < L.d; ++i) dx[i] = dy[i];
        continue;
      }
      for (int64_t i = 0; i < h; ++i) {
        dx[i] = dy[i] * c[i] + dy[i + h] * s[i + h];
        dx[i + h] = dy[i + h] * c[i + h] - dy[i] * s[i];
      }
    }
  }
}

constexpr int64_t kGrain = 64;  // tokens per task

struct QkvRopeFn : torch::autograd::Function<QkvRopeFn> {
  static variable_list forward(AutogradContext* ctx, const at::Tensor& qkv_in, const at::Tensor& cos_in,
                               const at::Tensor& sin_in, int64_t heads, int64_t kv_heads) {
    const at::Tensor qkv = qkv_in.contiguous(), cos = cos_in.contiguous(), sin = sin_in.contiguous();
    const Layout L{qkv.size(0), qkv.size(1), heads, kv_heads, cos.size(1)};
    at::Tensor q = at::empty({L.B, L.H, L.T, L.d}, qkv.options());
    at::Tensor k = at::empty({L.B, L.KV, L.T, L.d}, qkv.options()), v = at::empty_like(k);
    const float *xp = qkv.data_ptr<float>(), *cp = cos.data_ptr<float>(), *sp = sin.data_ptr<float>();
    float *qp = q.data_ptr<float>(), *kp = k.data_ptr<float>(), *vp = v.data_ptr<float>();
    at::parallel_for(0, L.B * L.T, kGrain,
                     [&](int64_t r0, int64_t r1) { rope_forward_rows(xp, cp, sp, qp, kp, vp, L, r0, r1); });
    ctx->save_for_backward({cos, sin});
    ctx->saved_data["B"] = L.B;
    ctx->saved_data["H"] = heads;
    ctx->saved_data["KV"] = kv_heads;
    return {q, k, v};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor &cos = saved[0], &sin = saved[1];
    const Layout L{ctx->saved_data["B"].toInt(), cos.size(0), ctx->saved_data["H"].toInt(),
                   ctx->saved_data["KV"].toInt(), cos.size(1)};
    at::Tensor g[3];
    const float* gp[3];
    for (int i = 0; i < 3; ++i) {
      g[i] = grads[i].defined() ? grads[i].contiguous() : at::Tensor();
      gp[i] = g[i].defined() ? g[i].data_ptr<float>() : nullptr;
    }
    at::Tensor dqkv = at::empty({L.B, L.T, L.width()}, cos.options());
    const float *cp = cos.data_ptr<float>(), *sp = sin.data_ptr<float>();
    float* dp = dqkv.data_ptr<float>();
    at::parallel_for(0, L.B * L.T, kGrain,
                     [&](int64_t r0, int64_t r1) { rope_backward_rows(gp[0], gp[1], gp[2], cp, sp, dp, L, r0, r1); });
    return {dqkv, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

}  // namespace

std::array<at::Tensor, 3> fused_qkv_rope(const at::Tensor& qkv, const at::Tensor& cos, const at::Tensor& sin,
                                         int64_t heads, int64_t kv_heads) {
  TORCH_CHECK(qkv.dim() == 3 && qkv.scalar_type() == at::kFloat && cos.dim() == 2 && cos.size(0) == qkv.size(1) &&
                  cos.size(1) % 2 == 0 && qkv.size(2) == (heads + 2 * kv_heads) * cos.size(1) &&
                  sin.sizes() == cos.sizes(),
              "fused_qkv_rope: qkv [B, T, (H + 2 KV) d] float32 with cos, sin [T, d]");
  const variable_list out = QkvRopeFn::apply(qkv, cos.to(at::kFloat), sin.to(at::kFloat), heads, kv_heads);
  return {out[0], out[1], out[2]};
}

}  // namespace ss::nn
