// Float helpers for the fused training kernels (src/nn/fused_*.cpp), written so that GCC
// auto-vectorises them: no reductions that need reassociation (sums keep 8 independent partial
// sums, combined in a fixed order, so results do not depend on the vector width), and exp as a
// polynomial instead of a libm call. The kernels that use them are compiled twice
// (SS_FUSED_KERNEL: AVX2+FMA and baseline x86-64, chosen at load time), so the binary still runs
// on any x86-64. The fused sources are built with -fno-trapping-math (CMakeLists.txt), which
// lets GCC if-convert the float comparisons below (clamps, maxima, the sigmoid's two branches)
// and so vectorise the loops around them.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define SS_FUSED_KERNEL __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define SS_FUSED_KERNEL
#endif

namespace ss::nn::fused {

// exp(x) for x <= 0 (the softmax's x - max, the sigmoid's -|x|) within 2 ulp; below -87 it returns
// exp(-87) ~ 1.6e-38 in place of smaller values. Cephes expf: x = n ln2 + r with |r| <= ln2/2, a
// degree-6 polynomial for e^r, 2^n from the exponent bits; n is rounded to nearest by the
// 1.5 * 2^23 trick (no libm call, so the loops that use it vectorise).
inline float exp_nonpositive(float x) {
  x = x < -87.0f ? -87.0f : x;
  const float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  float r = x - n * 0.693359375f;  // ln2 split in two for an exact n * ln2
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float e = p * r * r + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return e * scale;
}

// sigmoid(x) = 1 / (1 + exp(-x)) from t = exp(-|x|) in (0, 1]: 1 / (1 + t) for x >= 0, t / (1 + t)
// below, so exp never overflows.
inline float sigmoid(float x) {
  const float t = exp_nonpositive(-std::fabs(x));
  const float q = 1.0f / (1.0f + t);
  return x >= 0.0f ? q : t * q;
}

// sum_i a[i] * b[i], in 8 interleaved partial sums.
inline float dot(const float* a, const float* b, int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) acc[j] += a[i + j] * b[i + j];
  for (; i < n; ++i) acc[i & 7] += a[i] * b[i];
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

// max_i a[i] over n >= 1 values.
inline float max_of(const float* a, int64_t n) {
  float m[8];
  for (int j = 0; j < 8; ++j) m[j] = a[0];
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) m[j] = a[i + j] > m[j] ? a[i + j] : m[j];
  for (; i < n; ++i) m[i & 7] = a[i] > m[i & 7] ? a[i] : m[i & 7];
  float r = m[0];
  for (int j = 1; j < 8; ++j) r = m[j] > r ? m[j] : r;
  return r;
}

}  // namespace ss::nn::fused
