// PNG → RGB with libpng, reproducing Pillow 9.4's PngImagePlugin + Image.convert("RGB").
//
// PIL picks a mode per (bit depth, colour type) (PngImagePlugin._MODES) and its unpackers
// (libImaging/Unpack.c) fill it; convert("RGB") then drops alpha. Per colour type:
//   gray 1/2/4/8  -> "1"/"L": samples scaled to 0..255 (x255, x85, x17, x1)
//   gray 16       -> "I" (I;16B), then i2rgb clips to 255: min(v, 255), NOT v >> 8
//   gray+alpha    -> "LA" (8) or "RGBA" via LA;16B (16): the gray high byte, alpha dropped
//   RGB, RGBA     -> 8 bits as is; 16 bits (RGB;16B, RGBA;16B) keep the high byte, alpha dropped
//   palette       -> "P": lookup in a 256-entry palette that starts as the gray ramp (i, i, i)
//                    (ImagingPaletteNew) and is overwritten by the PLTE entries; tRNS ignored
// libpng's strip_16 (keeps the high byte, like the ;16B unpackers), strip_alpha and packing (one
// sample per byte, unscaled) shape the rows; scaling, clipping and palette lookup are in expand_to_rgb().
// Gamma, colour profiles and other ancillary chunks are ignored, as PIL's open/convert ignore them.
// Damaged files follow PIL too: a bad CRC in any chunk before the image data is fatal, IDAT CRCs are
// not checked, and reading stops at the end of the image data, so missing trailing chunks (IEND)
// are fine. Known gap: a file cut inside the last IDAT's CRC, after the compressed data, is
// PIL-readable but refused here (libpng must read those 4 bytes).
#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "image/codecs.h"
#include "util/error.h"

namespace ss::image::detail {
namespace {

enum class Raw { Gray, Gray16, Palette, Rgb };  // the row layout libpng hands back

// Everything libpng's callbacks and the setjmp frame touch lives here, outside that frame, so a
// longjmp never skips a C++ destructor and never reads a local modified after setjmp.
struct PngReader {
  const uint8_t* data = nullptr;
  size_t size = 0, pos = 0;
  char message[200] = "";
  png_structp png = nullptr;
  png_infop info = nullptr;
  std::vector<png_bytep> rows;
  Raw raw = Raw::Rgb;
  int bit_depth = 8;
  uint8_t palette[256][3];
  Image out;

  ~PngReader() { png_destroy_read_struct(&png, &info, nullptr); }  // accepts null pointers
};

// Record libpng's message and unwind to run()'s setjmp; libpng must never return from here.
void on_error(png_structp png, png_const_charp msg) {
  auto* r = static_cast<PngReader*>(png_get_error_ptr(png));
  std::snprintf(r->message, sizeof r->message, "%s", msg);
  png_longjmp(png, 1);
}

void on_warning(png_structp, png_const_charp) {}  // PIL does not stop on them either

void on_read(png_structp png, png_bytep dst, png_size_t len) {
  auto* r = static_cast<PngReader*>(png_get_io_ptr(png));
  if (len > r->size - r->pos) png_error(png, "file is truncated");
  std::memcpy(dst, r->data + r->pos, len);
  r->pos += len;
}

// Widens the raw samples, packed at the front of out.rgb, to RGB in place. Walks backwards: pixel
// i's raw bytes end before byte 3*i, so writing pixel i never clobbers an unread pixel.
void expand_to_rgb(PngReader& r) {
  uint8_t* px = r.out.rgb.data();
  const size_t n = static_cast<size_t>(r.out.width) * r.out.height;
  switch (r.raw) {
    case Raw::Rgb: return;
    case Raw::Gray: {
      const int scale = 255 / ((1 << r.bit_depth) - 1);  // PIL's "1", L;2, L;4 unpackers
      for (size_t i = n; i-- > 0;) {
        const uint8_t v = static_cast<uint8_t>(px[i] * scale);
        px[3 * i] = px[3 * i + 1] = px[3 * i + 2] = v;
      }
      return;
    }
    case Raw::Gray16:
      for (size_t i = n; i-- > 0;) {
        const int v = (px[2 * i] << 8) | px[2 * i + 1];
        px[3 * i] = px[3 * i + 1] = px[3 * i + 2] = static_cast<uint8_t>(v > 255 ? 255 : v);
      }
      return;
    case Raw::Palette:
      for (size_t i = n; i-- > 0;) std::memcpy(px + 3 * i, r.palette[px[i]], 3);
      return;
  }
}

// Returns false after a libpng error (message in r.message). Only r is touched after setjmp.
bool run(PngReader& r, int64_t max_pixels, const std::string& name) {
  if (setjmp(png_jmpbuf(r.png))) return false;
  png_set_read_fn(r.png, &r, on_read);
  png_set_benign_errors(r.png, 1);  // e.g. an out-of-range palette index: PIL decodes those
  // PngImagePlugin checks the CRC of every chunk before IDAT (ancillary ones included) and never
  // those of IDAT; png_read_info stops at the first IDAT, so the policy switches there.
  png_set_crc_action(r.png, PNG_CRC_ERROR_QUIT, PNG_CRC_ERROR_QUIT);
  png_read_info(r.png, r.info);
  png_set_crc_action(r.png, PNG_CRC_QUIET_USE, PNG_CRC_QUIET_USE);

  const int64_t width = png_get_image_width(r.png, r.info);
  const int64_t height = png_get_image_height(r.png, r.info);
  check_decoded_size(width, height, max_pixels, name);
  const int color = png_get_color_type(r.png, r.info);
  r.bit_depth = png_get_bit_depth(r.png, r.info);

  if (color == PNG_COLOR_TYPE_PALETTE) {
    r.raw = Raw::Palette;
    for (int i = 0; i < 256; ++i)
      r.palette[i][0] = r.palette[i][1] = r.palette[i][2] = static_cast<uint8_t>(i);
    png_colorp plte = nullptr;
    int count = 0;
    png_get_PLTE(r.png, r.info, &plte, &count);  // libpng has already required PLTE here
    for (int i = 0; i < count && i < 256; ++i) {
      r.palette[i][0] = plte[i].red;
      r.palette[i][1] = plte[i].green;
      r.palette[i][2] = plte[i].blue;
    }
  } else if (color & PNG_COLOR_MASK_COLOR) {
    r.raw = Raw::Rgb;
  } else {
    r.raw = (r.bit_depth == 16 && color == PNG_COLOR_TYPE_GRAY) ? Raw::Gray16 : Raw::Gray;
  }
  if (r.bit_depth == 16 && r.raw != Raw::Gray16) {
    png_set_strip_16(r.png);
    r.bit_depth = 8;
  }
  if (color & PNG_COLOR_MASK_ALPHA) png_set_strip_alpha(r.png);
  if (r.bit_depth < 8) png_set_packing(r.png);
  png_set_interlace_handling(r.png);
  png_read_update_info(r.png, r.info);

  // Raw rows (1, 2 or 3 bytes per pixel) are packed at the front of the RGB buffer, then widened.
  const size_t row_bytes = png_get_rowbytes(r.png, r.info);
  r.out.width = static_cast<int>(width);
  r.out.height = static_cast<int>(height);
  r.out.rgb.resize(static_cast<size_t>(width) * height * 3);
  if (row_bytes * height > r.out.rgb.size())
    png_error(r.png, "unexpected row layout");  // guards the in-place layout
  r.rows.resize(height);
  for (int64_t y = 0; y < height; ++y) r.rows[y] = r.out.rgb.data() + y * row_bytes;
  png_read_image(r.png, r.rows.data());
  // No png_read_end(): PIL stops at the image data too and tolerates damage after it.
  return true;
}

}  // namespace

Image decode_png(const uint8_t* data, size_t n, int64_t max_pixels, const std::string& name) {
  PngReader r;
  r.data = data;
  r.size = n;
  r.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &r, on_error, on_warning);
  if (r.png) r.info = png_create_info_struct(r.png);
  if (!r.png || !r.info) throw Error(name + ": cannot initialise libpng (out of memory)");
  if (!run(r, max_pixels, name)) throw Error(name + ": invalid PNG: " + r.message);
  expand_to_rgb(r);
  return std::move(r.out);
}

}  // namespace ss::image::detail
