// Synthetic test inputs made in C++ (no oracle needed): smooth-plus-noise pixels and JPEGs encoded
// with libjpeg directly, for storage options Pillow cannot write (YCCK, Adobe RGB, custom scans).
#pragma once

#include <cstdint>
#include <cstdio>  // before jpeglib.h, which needs FILE and size_t
#include <vector>

#include <jpeglib.h>

namespace ss::test {

// width*height*comps bytes: a gradient per channel plus deterministic noise, JPEG-friendly.
std::vector<uint8_t> smooth_noise(int width, int height, int comps, unsigned seed);

struct JpegOptions {
  J_COLOR_SPACE in_space = JCS_RGB;  // what `pixels` hold
  int comps = 3;
  J_COLOR_SPACE stored = JCS_YCbCr;  // what the file stores
  bool jfif = true;
  bool progressive = false;
  std::vector<jpeg_scan_info> scans;  // a custom scan script when not empty
};

// Encodes width x height pixels (quality 85) and returns the file bytes.
std::vector<uint8_t> encode_jpeg(int width, int height, const std::vector<uint8_t>& pixels,
                                 const JpegOptions& o);

}  // namespace ss::test
