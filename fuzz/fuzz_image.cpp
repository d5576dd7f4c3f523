// PNG and JPEG decoding (libpng/libjpeg-turbo under our setjmp/error handling, size limits,
// palette/tRNS/16-bit/CMYK conversions to RGB), in memory.
#include <cstdlib>

#include "fuzz_input.h"
#include "image/decode.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto img = ss::image::decode_image(data, size, "image");
    if (!ss::image::is_valid(img)) std::abort();  // a decoder must never return a bad image
    ss::fuzz::touch(img.rgb.data(), img.rgb.size());
  } catch (const ss::Error& e) {
    ss::fuzz::rejected(e);
  }
  return 0;
}
