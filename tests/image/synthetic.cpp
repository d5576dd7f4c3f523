// Implementation of the synthetic test inputs (see synthetic.h).
#include "synthetic.h"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

namespace ss::test {

std::vector<uint8_t> smooth_noise(int width, int height, int comps, unsigned seed) {
  std::vector<uint8_t> px(static_cast<size_t>(width) * height * comps);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < comps; ++c) {
        seed = seed * 1103515245u + 12345u;
        const int v =
            (x * 255 / width + y * 97 / height + c * 61) % 256 + static_cast<int>((seed >> 16) % 41) - 20;
        px[(static_cast<size_t>(y) * width + x) * comps + c] = static_cast<uint8_t>(std::clamp(v, 0, 255));
      }
  return px;
}

std::vector<uint8_t> encode_jpeg(int width, int height, const std::vector<uint8_t>& pixels,
                                 const JpegOptions& o) {
  if (pixels.size() != static_cast<size_t>(width) * height * o.comps)
    throw std::invalid_argument("encode_jpeg: pixel buffer does not match the size");
  jpeg_compress_struct c;
  jpeg_error_mgr err;
  c.err = jpeg_std_error(&err);  // inputs here are valid; libjpeg's exit() on error is acceptable in a test
  jpeg_create_compress(&c);
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&c, &buf, &size);
  c.image_width = width;
  c.image_height = height;
  c.input_components = o.comps;
  c.in_color_space = o.in_space;
  jpeg_set_defaults(&c);
  jpeg_set_colorspace(&c, o.stored);
  c.write_JFIF_header = o.jfif;
  jpeg_set_quality(&c, 85, TRUE);
  if (o.progressive) jpeg_simple_progression(&c);
  if (!o.scans.empty()) {
    c.scan_info = o.scans.data();
    c.num_scans = static_cast<int>(o.scans.size());
  }
  jpeg_start_compress(&c, TRUE);
  for (int y = 0; y < height; ++y) {
    JSAMPROW row = const_cast<uint8_t*>(pixels.data()) + static_cast<size_t>(y) * width * o.comps;
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  std::vector<uint8_t> out(buf, buf + size);
  jpeg_destroy_compress(&c);
  std::free(buf);
  return out;
}

}  // namespace ss::test
