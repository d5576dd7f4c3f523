// Image files to RGB, bit-exact with what the Python reference pipelines see:
// PIL.Image.open(path).convert("RGB") with Pillow 9.4 (on the libjpeg-turbo PIL itself links).
//
// Formats are recognised by their magic bytes, never by the file extension: PNG (every colour
// type and bit depth, interlaced or not) and baseline/progressive JPEG (grayscale, YCbCr, RGB,
// CMYK and YCCK). What convert("RGB") does, and so what these functions do:
//   - alpha (RGBA, LA, tRNS) is dropped, not composited onto a background;
//   - 16-bit samples keep their high byte, except 16-bit grayscale, which PIL opens as mode "I"
//     and clips to 255 (values above 255 become white);
//   - palette indices beyond the PLTE entries map to gray (i, i, i), PIL's default palette;
//   - 4-channel JPEGs are read with Adobe's inverted polarity, as PIL always assumes;
//   - JPEG uses libjpeg's defaults (islow DCT, fancy upsampling), like PIL;
//   - EXIF orientation is ignored, as PIL's open() and torchvision ignore it.
// Damaged files are accepted or refused as PIL does (see png_decode.cpp / jpeg_decode.cpp), except:
// a PNG cut inside its last IDAT CRC, and a JPEG with more than 1000 progressive scans, are refused.
// Any failure (missing, empty, truncated, corrupt, unsupported, larger than image.h's limits)
// throws ss::Error with a one-line message that starts with the path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "image/image.h"

namespace ss::image {

Image read_image(const std::string& path);

// The same on bytes in memory; `name_for_errors` starts every message. `max_pixels` lowers the
// pixel limit (the fuzzer's entry point: a header may declare 2^28 pixels in a few bytes, and
// decoding those under a sanitizer takes a minute per input).
Image decode_image(const uint8_t* data, size_t n, const std::string& name_for_errors,
                   int64_t max_pixels = kMaxPixels);

}  // namespace ss::image
