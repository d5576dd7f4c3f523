// An 8-bit RGB image, the one pixel format the preprocessing pipeline works in: every decoder
// converts to it the way PIL's Image.convert("RGB") does, and resize/preprocess consume it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ss::image {

struct Image {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;  // HWC, 3 channels, row-major, no padding: rgb.size() == width*height*3
};

// Size limits every decoder and resize enforces before allocating, so a hostile header or a
// mistyped flag cannot ask for gigabytes: 2^28 pixels (768 MiB of RGB) and 2^17 per side. The side
// limit also keeps float(side) exact, which Pillow's coefficient arithmetic relies on (see
// resample.cpp), and bounds the filter tables of an extreme resize.
constexpr int kMaxSide = 1 << 17;
constexpr int64_t kMaxPixels = int64_t{1} << 28;

inline bool within_limits(int64_t width, int64_t height) {
  return width > 0 && height > 0 && width <= kMaxSide && height <= kMaxSide && width * height <= kMaxPixels;
}

// Within the limits and holding exactly width*height*3 bytes.
inline bool is_valid(const Image& img) {
  return within_limits(img.width, img.height) &&
         img.rgb.size() == static_cast<size_t>(img.width) * static_cast<size_t>(img.height) * 3;
}

}  // namespace ss::image
