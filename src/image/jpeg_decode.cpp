// JPEG → RGB with libjpeg(-turbo), reproducing Pillow 9.4's JpegImagePlugin + JpegDecode.c +
// Image.convert("RGB").
//
// PIL chooses the mode from the SOF component count (1 → "L", 3 → "RGB", 4 → "CMYK"), asks
// libjpeg for JCS_GRAYSCALE / JCS_RGB / JCS_CMYK and leaves everything else at libjpeg's defaults
// (islow DCT, fancy upsampling, block smoothing; libjpeg picks the source colour space from
// JFIF/Adobe markers). It reads CMYK with rawmode "CMYK;I", i.e. every sample inverted (Adobe's
// polarity, assumed for all 4-channel files), and converts with Convert.c's cmyk2rgb.
//
// Truncation follows PIL too: PIL feeds libjpeg through a suspending source, so running out of data
// before the last scanline fails ("image file is truncated"), while running out afterwards, in
// jpeg_finish_decompress, is accepted. libjpeg's memory source reports the same event as the
// warning JWRN_JPEG_EOF, which is fatal here only before all rows are read. (A JPEG without its EOI
// marker fails in both: the Huffman decoder's read-ahead runs out before the last row.) Other
// libjpeg warnings (corrupt-data recoveries) are ignored, as PIL ignores them.
#include <csetjmp>
#include <cstdio>  // before jpeglib.h, which needs FILE and size_t
#include <cstring>
#include <string>
#include <vector>

#include <jerror.h>
#include <jpeglib.h>

#include "image/codecs.h"
#include "util/error.h"

namespace ss::image::detail {
namespace {

// Real progressive files have about 10 scans; a hostile one can hold millions of tiny scans that
// each re-walk the whole coefficient buffer (a near-hang). PIL has no limit; this one only cuts
// off files no encoder produces.
constexpr int kMaxScans = 1000;

// Everything libjpeg's callbacks and the setjmp frame touch lives here, outside that frame, so a
// longjmp never skips a C++ destructor and never reads a local modified after setjmp.
struct JpegReader {
  jpeg_decompress_struct cinfo;
  jpeg_error_mgr err;
  jpeg_progress_mgr progress;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX + 64] = "";
  bool created = false;
  bool rows_done = false;
  std::vector<uint8_t> row;
  Image out;

  ~JpegReader() {
    if (created) jpeg_destroy_decompress(&cinfo);
  }
};

JpegReader& reader(j_common_ptr c) { return *static_cast<JpegReader*>(c->client_data); }

[[noreturn]] void fail(JpegReader& r) { std::longjmp(r.jump, 1); }

// libjpeg must never return from error_exit; the default one calls exit().
void on_error_exit(j_common_ptr c) {
  JpegReader& r = reader(c);
  char text[JMSG_LENGTH_MAX];
  (*c->err->format_message)(c, text);
  std::snprintf(r.message, sizeof r.message, "invalid JPEG: %s", text);
  fail(r);
}

void on_message(j_common_ptr c, int level) {
  JpegReader& r = reader(c);
  if (level < 0 && c->err->msg_code == JWRN_JPEG_EOF && !r.rows_done) {
    std::snprintf(r.message, sizeof r.message, "truncated JPEG: the data ends before the last row");
    fail(r);
  }
}

void on_progress(j_common_ptr c) {
  JpegReader& r = reader(c);
  if (r.cinfo.input_scan_number > kMaxScans) {
    std::snprintf(r.message, sizeof r.message, "JPEG has more than %d scans (corrupt or hostile file)",
                  kMaxScans);
    fail(r);
  }
}

// MULDIV255 of libImaging/Convert.c: a*b/255 rounded, without a division.
inline int muldiv255(int a, int b) {
  const int t = a * b + 128;
  return ((t >> 8) + t) >> 8;
}

void row_to_rgb(const uint8_t* in, int components, int width, uint8_t* out) {
  switch (components) {
    case 1:
      for (int x = 0; x < width; ++x) out[3 * x] = out[3 * x + 1] = out[3 * x + 2] = in[x];
      return;
    case 3: std::memcpy(out, in, static_cast<size_t>(width) * 3); return;
    default:  // 4: PIL's "CMYK;I" unpacker inverts every sample, then Convert.c's cmyk2rgb
      for (int x = 0; x < width; ++x, in += 4) {
        const int k = 255 - in[3];
        const int nk = 255 - k;
        for (int ch = 0; ch < 3; ++ch) {
          const int c = 255 - in[ch];
          // muldiv255(c, nk) <= nk, so cmyk2rgb's CLIP8 never acts.
          out[3 * x + ch] = static_cast<uint8_t>(nk - muldiv255(c, nk));
        }
      }
      return;
  }
}

// Returns false after a libjpeg error or a refused file (reason in r.message). Only r is touched
// after setjmp.
bool run(JpegReader& r, const uint8_t* data, size_t n, int64_t max_pixels, const std::string& name) {
  if (setjmp(r.jump)) return false;
  jpeg_create_decompress(&r.cinfo);
  r.created = true;
  r.cinfo.progress = &r.progress;
  jpeg_mem_src(&r.cinfo, data, static_cast<unsigned long>(n));
  jpeg_read_header(&r.cinfo, TRUE);

  check_decoded_size(r.cinfo.image_width, r.cinfo.image_height, max_pixels, name);
  switch (r.cinfo.num_components) {
    case 1: r.cinfo.out_color_space = JCS_GRAYSCALE; break;
    case 3: r.cinfo.out_color_space = JCS_RGB; break;
    case 4: r.cinfo.out_color_space = JCS_CMYK; break;
    default:
      std::snprintf(r.message, sizeof r.message,
                    "unsupported JPEG with %d colour components (PIL reads 1, 3 or 4)",
                    r.cinfo.num_components);
      return false;
  }
  jpeg_start_decompress(&r.cinfo);

  const int width = static_cast<int>(r.cinfo.output_width);
  const int components = r.cinfo.output_components;
  r.row.resize(static_cast<size_t>(width) * components);
  r.out.width = width;
  r.out.height = static_cast<int>(r.cinfo.output_height);
  r.out.rgb.resize(static_cast<size_t>(width) * r.out.height * 3);
  while (r.cinfo.output_scanline < r.cinfo.output_height) {
    const size_t y = r.cinfo.output_scanline;
    JSAMPROW dst = r.row.data();
    if (jpeg_read_scanlines(&r.cinfo, &dst, 1) != 1) {  // cannot happen with a memory source; never spin
      std::snprintf(r.message, sizeof r.message, "invalid JPEG: decoder stopped at row %zu", y);
      return false;
    }
    row_to_rgb(r.row.data(), components, width, r.out.rgb.data() + y * width * 3);
  }
  r.rows_done = true;
  jpeg_finish_decompress(&r.cinfo);
  return true;
}

}  // namespace

Image decode_jpeg(const uint8_t* data, size_t n, int64_t max_pixels, const std::string& name) {
  JpegReader r;
  r.cinfo.err = jpeg_std_error(&r.err);
  r.err.error_exit = on_error_exit;
  r.err.emit_message = on_message;
  r.progress.progress_monitor = on_progress;
  r.cinfo.client_data = &r;
  if (!run(r, data, n, max_pixels, name)) throw Error(name + ": " + r.message);
  return std::move(r.out);
}

}  // namespace ss::image::detail
