// PNG and JPEG decoding (libpng/libjpeg-turbo under our setjmp/error handling, size limits,
// palette/tRNS/16-bit/CMYK conversions to RGB), in memory. Headers may declare up to 2^20 pixels
// here instead of 2^28: the same code paths, without minute-long decodes of a few hostile bytes
// (the full limit is tested in tests/image).
#include <cstdlib>

#include "fuzz_input.h"
#include "image/decode.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto img = ss::image::decode_image(data, size, "image", int64_t{1} << 20);
    if (!ss::image::is_valid(img)) std::abort();  // a decoder must never return a bad image
    ss::fuzz::touch(img.rgb.data(), img.rgb.size());
  } catch (const ss::Error& e) {
    ss::fuzz::rejected(e);
  }
  return 0;
}
