// Pillow's Image.resize for 8-bit RGB, bit-exact with Pillow 9.4 (libImaging/Resample.c and, for
// NEAREST, the affine-scale path of libImaging/Geometry.c).
#pragma once

#include "image/image.h"

namespace ss::image {

// Pillow's Image.Resampling values that the model transforms use.
enum class Filter {
  Nearest,   // pixel at the mapped centre; no antialiasing
  Bilinear,  // triangle filter, support 1
  Bicubic,   // Keys cubic with a = -0.5, support 2 (torchvision's InterpolationMode.BICUBIC on PIL)
};

// Resizes to out_w x out_h. Bilinear and bicubic antialias like Pillow: when shrinking, the filter
// support widens by the scale factor. Same size returns a copy, as Pillow does. Throws ss::Error for
// an empty or inconsistent input or a target outside image.h's limits.
Image resize(const Image& in, int out_w, int out_h, Filter filter);

}  // namespace ss::image
