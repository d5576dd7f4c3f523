// Causal softmax attention, forward and backward (fused_attention.h).
//
// Per batch and query head (Q: [T, d]; K, V: [T, d] of the head's kv head), with c = 1 / sqrt(d):
//   S = Q K^T,   P_ij = exp(c S_ij - m_i) / sum_{j' <= i} exp(c S_ij' - m_i) for j <= i, 0 for j > i,
//   O = P V,     with m_i = c max_{j <= i} S_ij.
// Backward (softmax Jacobian: dS = P (dP - rowsum(P dP)); Vaswani et al. 2017, Dao et al. 2022 §B.2):
//   dV = P^T dO,  dP = dO V^T,  dS_ij = c P_ij (dP_ij - sum_j' P_ij' dP_ij'),  dQ = dS K,  dK = dS^T Q,
// dK and dV summed over the query heads that share a kv head (grouped-query attention).
//
// Why not batched matrix products: with T = 128 and d = 64 (configs/train/bb-softmax.json) each of
// the six products is small, half of every one is the masked triangle, and the [T, T] weights make
// a round trip through memory between each product and the softmax. Here one task owns one
// (batch, kv head): it reads its operands in place (zero-padded copies when T or d is not a
// multiple of 16; K or V transposed once), every product runs in 4 x 16 register tiles that skip
// the masked triangle (about 55% of the full products' work at T = 128), and P and dS stay in
// cache between the products that use them. P is saved for the backward pass ([B, H, T16, T16]),
// as autograd saves the softmax output. At the bb-softmax shapes forward + backward take 9 ms
// instead of 21 ms for attend() (bench/bench_train_step.cpp, one thread).
#include "nn/fused_attention.h"

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "nn/fused_vec.h"

namespace ss::nn {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Eight floats; GCC lowers it to one AVX register or two SSE ones. may_alias + aligned(4): loads and
// stores through a v8 pointer are plain unaligned vector accesses of float data.
typedef float v8 __attribute__((vector_size(32), aligned(4), may_alias));

// Which part of a product the causal mask leaves (row tile i0 = the tile's first row of C):
enum Causal : int {
  kFull = 0,
  kLowerCols = 1,  // C is [T, T]: only column tiles j0 <= i0 + 3 (the rest of C is left as it was)
  kKBelow = 2,     // A(i, k) = 0 for k > i: sum over k < i0 + 4
  kKAbove = 4,     // A(i, k) = 0 for k < i: sum over k >= i0
};

// C[M, N] (+)= sum_k A(i, k) B[k, :], with A(i, k) = a[i * sar + k * sak], B and C row-major.
// M % 4 == 0, N % 16 == 0; each 4 x 16 tile of C is accumulated in eight vector registers.
SS_FUSED_KERNEL void gemm_tiles(const float* a, int64_t sar, int64_t sak, const float* b, int64_t ldb, float* c,
                                int64_t ldc, int64_t M, int64_t N, int64_t K, int causal, bool accumulate) {
  for (int64_t i0 = 0; i0 < M; i0 += 4) {
    const int64_t k0 = (causal & kKAbove) ? i0 : 0, k1 = (causal & kKBelow) ? std::min(K, i0 + 4) : K;
    const int64_t n1 = (causal & kLowerCols) ? std::min(N, i0 + 4) : N;
    for (int64_t j0 = 0; j0 < n1; j0 += 16) {
      v8 c00 = {}, c01 = {}, c10 = {}, c11 = {}, c20 = {}, c21 = {}, c30 = {}, c31 = {};
      const float* ai = a + i0 * sar;
      for (int64_t k = k0; k < k1; ++k) {
        const float* bk = b + k * ldb + j0;
        const v8 b0 = *reinterpret_cast<const v8*>(bk), b1 = *reinterpret_cast<const v8*>(bk + 8);
        const float* ak = ai + k * sak;
        const float a0 = ak[0], a1 = ak[sar], a2 = ak[2 * sar], a3 = ak[3 * sar];
        c00 += a0 * b0;
        c01 += a0 * b1;
        c10 += a1 * b0;
        c11 += a1 * b1;
        c20 += a2 * b0;
        c21 += a2 * b1;
        c30 += a3 * b0;
        c31 += a3 * b1;
      }
      const v8 tile[4][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}};
      for (int r = 0; r < 4; ++r)
        for (int h = 0; h < 2; ++h) {
          v8* out = reinterpret_cast<v8*>(c + (i0 + r) * ldc + j0 + 8 * h);
          *out = accumulate ? *out + tile[r][h] : tile[r][h];
        }
    }
  }
}

// In place over the first `rows` rows of the logits [*, ld]: scale, causal mask, softmax; row i
// keeps keys 0..i, every other entry of the row becomes 0.
SS_FUSED_KERNEL void causal_softmax_rows(float* s, int64_t ld, int64_t rows, float scale) {
  for (int64_t i = 0; i < rows; ++i) {
    float* row = s + i * ld;
    const int64_t n = i + 1;
    const float m = fused::max_of(row, n) * scale;
    for (int64_t j = 0; j < n; ++j) row[j] = fused::exp_nonpositive(row[j] * scale - m);
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t j = 0;
    for (; j + 8 <= n; j += 8)
      for (int l = 0; l < 8; ++l) acc[l] += row[j + l];
    for (; j < n; ++j) acc[j & 7] += row[j];
    const float inv = 1.0f / (((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])));
    for (j = 0; j < n; ++j) row[j] *= inv;
    for (j = n; j < ld; ++j) row[j] = 0;
  }
}

// In place over the first `rows` rows of dP [*, ld]: dS = scale P (dP - rowsum(P dP)), 0 where masked.
SS_FUSED_KERNEL void causal_softmax_backward_rows(const float* p, float* dp, int64_t ld, int64_t rows, float scale) {
  for (int64_t i = 0; i < rows; ++i) {
    const float* pr = p + i * ld;
    float* g = dp + i * ld;
    const int64_t n = i + 1;
    const float c = fused::dot(pr, g, n);
    for (int64_t j = 0; j < n; ++j) g[j] = scale * (pr[j] * (g[j] - c));
    for (int64_t j = n; j < ld; ++j) g[j] = 0;
  }
}

int64_t round16(int64_t n) { return (n + 15) / 16 * 16; }

// `src` [rows, cols] (row stride ld_src), or its transpose, into `dst` [dst_rows, ld_dst], zero padded.
void copy_padded(const float* src, int64_t ld_src, int64_t rows, int64_t cols, float* dst, int64_t dst_rows,
                 int64_t ld_dst, bool transpose) {
  if ((transpose ? cols : rows) != dst_rows || (transpose ? rows : cols) != ld_dst)
    std::memset(dst, 0, sizeof(float) * dst_rows * ld_dst);
  for (int64_t i = 0; i < rows; ++i) {
    if (!transpose) {
      std::memcpy(dst + i * ld_dst, src + i * ld_src, sizeof(float) * cols);
      continue;
    }
    for (int64_t j = 0; j < cols; ++j) dst[j * ld_dst + i] = src[i * ld_src + j];
  }
}

void copy_out(const float* src, int64_t ld_src, int64_t rows, int64_t cols, float* dst) {
  for (int64_t i = 0; i < rows; ++i) std::memcpy(dst + i * cols, src + i * ld_src, sizeof(float) * cols);
}

struct Dims {
  int64_t B, H, KV, T, d, Tp, dp;
  explicit Dims(const at::Tensor& q, const at::Tensor& k)
      : B(q.size(0)), H(q.size(1)), KV(k.size(1)), T(q.size(2)), d(q.size(3)), Tp(round16(T)), dp(round16(d)) {}
  int64_t groups() const { return H / KV; }
  bool padded() const { return Tp != T || dp != d; }
  float scale() const { return static_cast<float>(1.0 / std::sqrt(static_cast<double>(d))); }

  // A [T, d] operand as the kernels read it ([Tp, dp]): `src` itself, or a zero-padded copy in `buf`.
  const float* in(const float* src, float* buf) const {
    if (!padded()) return src;
    copy_padded(src, d, T, d, buf, Tp, dp, false);
    return buf;
  }
  // Where a kernel writes a [T, d] result bound for `dst`; written back by out() when padded.
  float* target(float* dst, float* buf) const { return padded() ? buf : dst; }
  void out(const float* buf, float* dst) const {
    if (padded()) copy_out(buf, dp, T, d, dst);
  }
};

// Forward of the query heads of kv head (b, kv): out and the saved weights p.
void forward_task(const Dims& D, int64_t b, int64_t kv, const float* q, const float* k, const float* v, float* p,
                  float* out, std::vector<float>& scratch) {
  const int64_t Tp = D.Tp, dp = D.dp, T = D.T, d = D.d, td = T * d;
  scratch.resize(static_cast<size_t>(4 * Tp * dp));
  float *kt = scratch.data(), *vbuf = kt + Tp * dp, *qbuf = vbuf + Tp * dp, *obuf = qbuf + Tp * dp;
  copy_padded(k + (b * D.KV + kv) * td, d, T, d, kt, dp, Tp, true);  // K^T [dp, Tp]
  const float* vp = D.in(v + (b * D.KV + kv) * td, vbuf);
  for (int64_t g = 0; g < D.groups(); ++g) {
    const int64_t h = kv * D.groups() + g;
    float *ph = p + (b * D.H + h) * Tp * Tp, *oh = out + (b * D.H + h) * td, *op = D.target(oh, obuf);
    const float* qp = D.in(q + (b * D.H + h) * td, qbuf);
    gemm_tiles(qp, dp, 1, kt, Tp, ph, Tp, Tp, Tp, dp, kLowerCols, false);  // S = Q K^T
    causal_softmax_rows(ph, Tp, T, D.scale());
    std::memset(ph + T * Tp, 0, sizeof(float) * (Tp - T) * Tp);  // padding rows
    gemm_tiles(ph, Tp, 1, vp, dp, op, dp, Tp, dp, Tp, kKBelow, false);  // O = P V
    D.out(op, oh);
  }
}

// Backward of kv head (b, kv): dq of its query heads, dk and dv (summed over the heads, the first writes).
void backward_task(const Dims& D, int64_t b, int64_t kv, const float* q, const float* k, const float* v,
                   const float* p, const float* dout, float* dq, float* dk, float* dv, std::vector<float>& scratch) {
  const int64_t Tp = D.Tp, dp = D.dp, T = D.T, d = D.d, td = T * d;
  scratch.resize(static_cast<size_t>(7 * Tp * dp + Tp * Tp));
  float *kbuf = scratch.data(), *vt = kbuf + Tp * dp, *qbuf = vt + Tp * dp, *dobuf = qbuf + Tp * dp,
        *dqbuf = dobuf + Tp * dp, *dkbuf = dqbuf + Tp * dp, *dvbuf = dkbuf + Tp * dp, *ds = dvbuf + Tp * dp;
  const float* kp = D.in(k + (b * D.KV + kv) * td, kbuf);
  copy_padded(v + (b * D.KV + kv) * td, d, T, d, vt, dp, Tp, true);  // V^T [dp, Tp]
  float *dkh = dk + (b * D.KV + kv) * td, *dvh = dv + (b * D.KV + kv) * td;
  float *dkp = D.target(dkh, dkbuf), *dvp = D.target(dvh, dvbuf);
  for (int64_t g = 0; g < D.groups(); ++g) {
    const int64_t h = kv * D.groups() + g;
    const float* ph = p + (b * D.H + h) * Tp * Tp;
    const float *qp = D.in(q + (b * D.H + h) * td, qbuf), *dop = D.in(dout + (b * D.H + h) * td, dobuf);
    float *dqh = dq + (b * D.H + h) * td, *dqp = D.target(dqh, dqbuf);
    gemm_tiles(ph, 1, Tp, dop, dp, dvp, dp, Tp, dp, Tp, kKAbove, g > 0);  // dV (+)= P^T dO
    gemm_tiles(dop, dp, 1, vt, Tp, ds, Tp, Tp, Tp, dp, kLowerCols, false);  // dP = dO V^T
    causal_softmax_backward_rows(ph, ds, Tp, T, D.scale());
    std::memset(ds + T * Tp, 0, sizeof(float) * (Tp - T) * Tp);
    gemm_tiles(ds, Tp, 1, kp, dp, dqp, dp, Tp, dp, Tp, kKBelow, false);  // dQ = dS K
    gemm_tiles(ds, 1, Tp, qp, dp, dkp, dp, Tp, dp, Tp, kKAbove, g > 0);  // dK (+)= dS^T Q
    D.out(dqp, dqh);
  }
  D.out(dkp, dkh);
  D.out(dvp, dvh);
}

struct CausalAttentionFn : torch::autograd::Function<CausalAttentionFn> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& q_in, const at::Tensor& k_in,
                            const at::Tensor& v_in) {
    const at::Tensor q = q_in.contiguous(), k = k_in.contiguous(), v = v_in.contiguous();
    const Dims D(q, k);
    at::Tensor p = at::empty({D.B, D.H, D.Tp, D.Tp}, q.options()), out = at::empty_like(q);
    const float *qp = q.data_ptr<float>(), *kp = k.data_ptr<float>(), *vp = v.data_ptr<float>();
    float *pp = p.data_ptr<float>(), *op = out.data_ptr<float>();
    at::parallel_for(0, D.B * D.KV, 1, [&](int64_t t0, int64_t t1) {
      std::vector<float> scratch;
      for (int64_t t = t0; t < t1; ++t) forward_task(D, t / D.KV, t % D.KV, qp, kp, vp, pp, op, scratch);
    });
    ctx->save_for_backward({q, k, v, p});
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor &q = saved[0], &k = saved[1], &v = saved[2], &p = saved[3];
    const Dims D(q, k);
    const at::Tensor dout = grads[0].contiguous();
    at::Tensor dq = at::empty_like(q), dk = at::empty_like(k), dv = at::empty_like(v);
    const float *qp = q.data_ptr<float>(), *kp = k.data_ptr<float>(), *vp = v.data_ptr<float>(),
                *pp = p.data_ptr<float>(), *gp = dout.data_ptr<float>();
    float *dqp = dq.data_ptr<float>(), *dkp = dk.data_ptr<float>(), *dvp = dv.data_ptr<float>();
    at::parallel_for(0, D.B * D.KV, 1, [&](int64_t t0, int64_t t1) {
      std::vector<float> scratch;
      for (int64_t t = t0; t < t1; ++t)
        backward_task(D, t / D.KV, t % D.KV, qp, kp, vp, pp, gp, dqp, dkp, dvp, scratch);
    });
    return {dq, dk, dv};
  }
};

}  // namespace

at::Tensor fused_causal_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
  TORCH_CHECK(q.dim() == 4 && k.dim() == 4 && v.sizes() == k.sizes() && q.scalar_type() == at::kFloat &&
                  k.scalar_type() == at::kFloat && v.scalar_type() == at::kFloat && q.size(0) == k.size(0) &&
                  q.size(2) == k.size(2) && q.size(3) == k.size(3) && k.size(1) > 0 && q.size(1) % k.size(1) == 0,
              "fused_causal_attention: q [B, H, T, d], k, v [B, KV, T, d] float32 with KV dividing H");
  return CausalAttentionFn::apply(q, k, v);
}

}  // namespace ss::nn
