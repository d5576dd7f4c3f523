// Pillow 9.4's convolution resampler (libImaging/Resample.c), reproduced operation for operation:
// filter weights in double (precompute_coeffs), converted to 22-bit fixed point
// (normalize_coeffs_8bpc), a horizontal pass then a vertical pass, each rounding to 8 bits (clip8).
// The arithmetic has to match exactly, including the order of floating-point operations (the
// library is built without -ffast-math and, in ISO C++ mode, without FMA contraction), because one
// ulp in a weight can move a pixel by one level.
#include "image/resample.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "util/error.h"

namespace ss::image {
namespace {

// 8 bits of result plus 2 bits of headroom: the cubic's negative lobes let partial sums leave
// [0, 255]. (Resample.c: PRECISION_BITS = 32 - 8 - 2.) With weights summing to 1 and |weights|
// summing to < 1.5, a sum stays below 255 * 1.5 * 2^22 < 2^31: int32 never overflows.
constexpr int kPrecisionBits = 32 - 8 - 2;

struct Kernel {
  double (*weight)(double);
  double support;
};

double bilinear_weight(double x) {  // Resample.c bilinear_filter
  if (x < 0.0) x = -x;
  if (x < 1.0) return 1.0 - x;
  return 0.0;
}

double bicubic_weight(double x) {  // Resample.c bicubic_filter, a = -0.5, same expression order
  constexpr double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

// Output sample i of one axis = sum over t < count[i] of input[first[i] + t] * weights[i*ksize + t].
struct Taps {
  int ksize = 0;
  std::vector<int> first, count;
  std::vector<int32_t> weights;
};

// precompute_coeffs + normalize_coeffs_8bpc for the whole axis (Pillow's box = (0, in_size)).
Taps make_taps(int in_size, int out_size, const Kernel& kernel) {
  // Pillow passes the box as floats: scale = (double)(in1 - in0) / outSize with float in0, in1.
  const float in0 = 0.0f, in1 = static_cast<float>(in_size);
  const double scale = static_cast<double>(in1 - in0) / out_size;
  const double filterscale = scale < 1.0 ? 1.0 : scale;  // antialias: widen only when shrinking
  const double support = kernel.support * filterscale;

  Taps t;
  t.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  t.first.resize(out_size);
  t.count.resize(out_size);
  t.weights.assign(static_cast<size_t>(out_size) * t.ksize, 0);
  std::vector<double> k(t.ksize);
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = in0 + (xx + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    int xmin = static_cast<int>(center - support + 0.5);  // truncation, as Pillow's (int) cast
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      const double w = kernel.weight((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    int32_t* fixed = &t.weights[static_cast<size_t>(xx) * t.ksize];
    for (int x = 0; x < xmax; ++x) {
      if (ww != 0.0) k[x] /= ww;
      // normalize_coeffs_8bpc: round half away from zero into 22-bit fixed point.
      fixed[x] = k[x] < 0 ? static_cast<int32_t>(-0.5 + k[x] * (1 << kPrecisionBits))
                          : static_cast<int32_t>(0.5 + k[x] * (1 << kPrecisionBits));
    }
    t.first[xx] = xmin;
    t.count[xx] = xmax;
  }
  return t;
}

// Resample.c clip8: drop the fraction (after the +0.5 pre-added to every sum) and clamp to 0..255.
inline uint8_t clip8(int32_t v) {
  if (v < 0) return 0;
  v >>= kPrecisionBits;
  return static_cast<uint8_t>(v > 255 ? 255 : v);
}

// ImagingResampleHorizontal_8bpc over input rows [row0, row0 + rows).
Image horizontal_pass(const Image& in, int row0, int rows, int out_w, const Taps& t) {
  Image out{out_w, rows, std::vector<uint8_t>(static_cast<size_t>(out_w) * rows * 3)};
  for (int y = 0; y < rows; ++y) {
    const uint8_t* src = in.rgb.data() + static_cast<size_t>(row0 + y) * in.width * 3;
    uint8_t* dst = out.rgb.data() + static_cast<size_t>(y) * out_w * 3;
    for (int xx = 0; xx < out_w; ++xx) {
      const int32_t* k = &t.weights[static_cast<size_t>(xx) * t.ksize];
      const uint8_t* p = src + static_cast<size_t>(t.first[xx]) * 3;
      int32_t s0 = 1 << (kPrecisionBits - 1), s1 = s0, s2 = s0;
      for (int x = 0; x < t.count[xx]; ++x, p += 3) {
        s0 += p[0] * k[x];
        s1 += p[1] * k[x];
        s2 += p[2] * k[x];
      }
      dst[3 * xx] = clip8(s0);
      dst[3 * xx + 1] = clip8(s1);
      dst[3 * xx + 2] = clip8(s2);
    }
  }
  return out;
}

// ImagingResampleVertical_8bpc; `in` row 0 is source row `row0`. Accumulates row by row instead of
// pixel by pixel: integer sums are exact, so the order does not change the result.
Image vertical_pass(const Image& in, int row0, int out_h, const Taps& t) {
  const size_t row_len = static_cast<size_t>(in.width) * 3;
  Image out{in.width, out_h, std::vector<uint8_t>(row_len * out_h)};
  std::vector<int32_t> acc(row_len);
  for (int yy = 0; yy < out_h; ++yy) {
    std::fill(acc.begin(), acc.end(), 1 << (kPrecisionBits - 1));
    const int32_t* k = &t.weights[static_cast<size_t>(yy) * t.ksize];
    for (int y = 0; y < t.count[yy]; ++y) {
      const uint8_t* src = in.rgb.data() + static_cast<size_t>(t.first[yy] - row0 + y) * row_len;
      for (size_t i = 0; i < row_len; ++i) acc[i] += src[i] * k[y];
    }
    uint8_t* dst = out.rgb.data() + static_cast<size_t>(yy) * row_len;
    for (size_t i = 0; i < row_len; ++i) dst[i] = clip8(acc[i]);
  }
  return out;
}

Image convolve(const Image& in, int out_w, int out_h, const Kernel& kernel) {
  // ImagingResampleInner: the vertical taps decide which source rows the horizontal pass needs.
  const Taps vert = make_taps(in.height, out_h, kernel);
  const int row_first = vert.first.front();
  const int row_last = vert.first.back() + vert.count.back();
  const bool need_horizontal = out_w != in.width;
  const bool need_vertical = out_h != in.height;

  Image tmp;
  int row0 = 0;
  if (need_horizontal) {
    tmp = horizontal_pass(in, row_first, row_last - row_first, out_w, make_taps(in.width, out_w, kernel));
    row0 = row_first;
    if (!need_vertical) return tmp;  // row_first..row_last spans every row when heights match
  }
  return vertical_pass(need_horizontal ? tmp : in, row0, out_h, vert);
}

// Pillow routes NEAREST through ImagingTransform (affine, a = [in_w/out_w, 0, 0, 0, in_h/out_h, 0])
// and ImagingScaleAffine, which steps the source coordinate by repeated addition from a half-step
// offset and truncates. The accumulation is reproduced as is: it can differ from (x + 0.5) * scale.
Image nearest(const Image& in, int out_w, int out_h) {
  const double ax = static_cast<double>(static_cast<float>(in.width) - 0.0f) / out_w;
  const double ay = static_cast<double>(static_cast<float>(in.height) - 0.0f) / out_h;
  std::vector<int> src_x(out_w, -1);  // -1: outside the source, left black (Pillow's fill)
  double xo = 0.0 + ax * 0.5;
  for (int x = 0; x < out_w; ++x, xo += ax) {
    const int xin = xo < 0.0 ? -1 : static_cast<int>(xo);
    if (xin < in.width) src_x[x] = xin;
  }
  Image out{out_w, out_h, std::vector<uint8_t>(static_cast<size_t>(out_w) * out_h * 3, 0)};
  double yo = 0.0 + ay * 0.5;
  for (int y = 0; y < out_h; ++y, yo += ay) {
    const int yin = yo < 0.0 ? -1 : static_cast<int>(yo);
    if (yin < 0 || yin >= in.height) continue;
    const uint8_t* src = in.rgb.data() + static_cast<size_t>(yin) * in.width * 3;
    uint8_t* dst = out.rgb.data() + static_cast<size_t>(y) * out_w * 3;
    for (int x = 0; x < out_w; ++x)
      if (src_x[x] >= 0) std::memcpy(dst + 3 * x, src + 3 * src_x[x], 3);
  }
  return out;
}

}  // namespace

Image resize(const Image& in, int out_w, int out_h, Filter filter) {
  if (!is_valid(in))
    throw Error("resize: input image is " + std::to_string(in.width) + "x" + std::to_string(in.height) +
                " with " + std::to_string(in.rgb.size()) + " bytes; expected a non-empty RGB image");
  if (!within_limits(out_w, out_h))
    throw Error("resize: target size " + std::to_string(out_w) + "x" + std::to_string(out_h) +
                " must be 1.." + std::to_string(kMaxSide) + " per side and at most " +
                std::to_string(kMaxPixels) + " pixels");
  if (out_w == in.width && out_h == in.height) return in;
  switch (filter) {
    case Filter::Nearest: return nearest(in, out_w, out_h);
    case Filter::Bilinear: return convolve(in, out_w, out_h, Kernel{bilinear_weight, 1.0});
    case Filter::Bicubic: return convolve(in, out_w, out_h, Kernel{bicubic_weight, 2.0});
  }
  throw Error("resize: unknown filter " + std::to_string(static_cast<int>(filter)));
}

}  // namespace ss::image
