// Internal to sinkscope_image: the per-format decoders behind decode_image(). Each takes the whole
// file in memory, whose magic bytes decode_image() has already checked, and throws ss::Error
// messages that start with `name`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "image/image.h"

namespace ss::image::detail {

// `max_pixels` (at most image.h's kMaxPixels) is checked on the header, before any pixel is decoded.
Image decode_png(const uint8_t* data, size_t n, int64_t max_pixels, const std::string& name);
Image decode_jpeg(const uint8_t* data, size_t n, int64_t max_pixels, const std::string& name);

// Throws unless a decoded width x height is within image.h's limits and max_pixels; called before
// allocating.
void check_decoded_size(int64_t width, int64_t height, int64_t max_pixels, const std::string& name);

}  // namespace ss::image::detail
