// preprocess(): torchvision 0.14's Resize / CenterCrop / ToTensor / Normalize on an RGB image.
// The semantics, and where they come from, are documented in transform.h.
#include "image/transform.h"

#include <string>
#include <tuple>
#include <utility>

#include "util/error.h"

namespace ss::image {
namespace {

// Resize(int s) output size as (width, height): torchvision's _compute_resized_output_size.
// Python computes int(s * long / short): an exact integer product, a correctly rounded double
// division (both operands are far below 2^53), then truncation. The same happens here.
std::pair<int64_t, int64_t> shorter_side_size(int width, int height, int s) {
  const bool width_is_short = width <= height;
  const int64_t short_side = width_is_short ? width : height;
  const int64_t long_side = width_is_short ? height : width;
  const auto new_long = static_cast<int64_t>(static_cast<double>(int64_t{s} * long_side) / short_side);
  return width_is_short ? std::make_pair(int64_t{s}, new_long) : std::make_pair(new_long, int64_t{s});
}

// Source index of the crop's first row (or column): center_crop's int(round((size - crop) / 2.0))
// with Python's round-half-to-even, or minus the zero padding placed before the image when the
// crop is larger ((crop - size) // 2; the padded axis then equals the crop and is not cropped).
int crop_offset(int size, int crop) {
  if (crop > size) return -((crop - size) / 2);
  const int d = size - crop, half = d / 2;
  if (d % 2 == 0) return half;
  return half % 2 == 0 ? half : half + 1;  // half + 0.5 rounds to the even neighbour
}

void validate(const Image& img, const Preprocess& p) {
  if (p.resize_shorter < 0 || p.crop_h < 0 || p.crop_w < 0 || p.resize_h < 0 || p.resize_w < 0)
    throw UsageError("preprocess: sizes must not be negative");
  if ((p.crop_h > 0) != (p.crop_w > 0))
    throw UsageError("preprocess: give both crop_h and crop_w, or neither");
  if ((p.resize_h > 0) != (p.resize_w > 0))
    throw UsageError("preprocess: give both resize_h and resize_w, or neither");
  if (p.resize_h > 0 && p.resize_shorter > 0)
    throw UsageError("preprocess: an exact resize (resize_h x resize_w) excludes resize_shorter");
  for (float s : p.std)
    if (s == 0.f) throw UsageError("preprocess: normalisation std must not be zero");
  if (!is_valid(img))
    throw Error("preprocess: image is " + std::to_string(img.width) + "x" + std::to_string(img.height) +
                " with " + std::to_string(img.rgb.size()) + " bytes; expected a non-empty RGB image");
}

}  // namespace

std::vector<float> preprocess(const Image& img, const Preprocess& p, int* out_h, int* out_w) {
  validate(img, p);

  // Resize. resize() copies when the size is unchanged; skipping it avoids that copy.
  int64_t target_w = img.width, target_h = img.height;
  if (p.resize_h > 0) {
    target_w = p.resize_w;
    target_h = p.resize_h;
  } else if (p.resize_shorter > 0) {
    std::tie(target_w, target_h) = shorter_side_size(img.width, img.height, p.resize_shorter);
  }
  Image resized;
  const Image* src = &img;
  if (target_w != img.width || target_h != img.height) {
    if (!within_limits(target_w, target_h))
      throw Error("preprocess: resizing " + std::to_string(img.width) + "x" + std::to_string(img.height) +
                  " gives " + std::to_string(target_w) + "x" + std::to_string(target_h) +
                  ", beyond the image size limits");
    resized = resize(img, static_cast<int>(target_w), static_cast<int>(target_h), p.filter);
    src = &resized;
  }

  // CenterCrop (with zero padding), fused with the read below: no cropped copy is made.
  const int h = p.crop_h > 0 ? p.crop_h : src->height;
  const int w = p.crop_w > 0 ? p.crop_w : src->width;
  if (!within_limits(w, h))
    throw Error("preprocess: crop " + std::to_string(w) + "x" + std::to_string(h) +
                " is beyond the image size limits");
  const int top = p.crop_h > 0 ? crop_offset(src->height, h) : 0;
  const int left = p.crop_w > 0 ? crop_offset(src->width, w) : 0;

  // ToTensor + Normalize. The result depends only on (channel, byte), so it is tabulated once;
  // each entry is computed with torchvision's float32 operations in torchvision's order.
  float table[3][256];
  for (int c = 0; c < 3; ++c)
    for (int u = 0; u < 256; ++u) table[c][u] = (static_cast<float>(u) / 255.0f - p.mean[c]) / p.std[c];

  const size_t plane = static_cast<size_t>(h) * w;
  std::vector<float> out(3 * plane);
  for (int y = 0; y < h; ++y) {
    const int sy = y + top;
    for (int x = 0; x < w; ++x) {
      const int sx = x + left;
      const bool inside = sy >= 0 && sy < src->height && sx >= 0 && sx < src->width;
      const uint8_t* px = inside ? &src->rgb[(static_cast<size_t>(sy) * src->width + sx) * 3] : nullptr;
      for (int c = 0; c < 3; ++c) out[c * plane + static_cast<size_t>(y) * w + x] = table[c][px ? px[c] : 0];
    }
  }
  if (out_h) *out_h = h;
  if (out_w) *out_w = w;
  return out;
}

// Mean and std are written as double literals and rounded to float, exactly as torch.as_tensor
// rounds the Python floats (a float literal would round the decimal directly, which can differ).
Preprocess dinov2_eval_transform() {
  Preprocess p;
  p.resize_shorter = 256;
  p.crop_h = p.crop_w = 224;
  p.filter = Filter::Bicubic;
  p.mean = {static_cast<float>(0.485), static_cast<float>(0.456), static_cast<float>(0.406)};
  p.std = {static_cast<float>(0.229), static_cast<float>(0.224), static_cast<float>(0.225)};
  return p;
}

Preprocess clip_transform(int n_px) {
  if (n_px <= 0) throw UsageError("clip_transform: n_px must be positive, got " + std::to_string(n_px));
  Preprocess p;
  p.resize_shorter = n_px;
  p.crop_h = p.crop_w = n_px;
  p.filter = Filter::Bicubic;
  p.mean = {static_cast<float>(0.48145466), static_cast<float>(0.4578275), static_cast<float>(0.40821073)};
  p.std = {static_cast<float>(0.26862954), static_cast<float>(0.26130258), static_cast<float>(0.27577711)};
  return p;
}

}  // namespace ss::image
