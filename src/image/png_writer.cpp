// write_png: libpng with default compression, written to path.tmp, then renamed.
#include "image/png_writer.h"

#include <png.h>

#include <cerrno>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <string>

#include "image/image.h"
#include "util/error.h"

namespace ss::image {
namespace {

// Everything libpng's callbacks and the setjmp frame touch lives here, outside that frame.
struct PngWriter {
  FILE* file = nullptr;
  png_structp png = nullptr;
  png_infop info = nullptr;
  char message[200] = "";

  ~PngWriter() {
    png_destroy_write_struct(&png, &info);  // accepts null pointers
    if (file) std::fclose(file);
  }
};

void on_error(png_structp png, png_const_charp msg) {
  auto* w = static_cast<PngWriter*>(png_get_error_ptr(png));
  std::snprintf(w->message, sizeof w->message, "%s", msg);
  png_longjmp(png, 1);
}

void on_warning(png_structp, png_const_charp) {}

// Returns false after a libpng error (message in w.message). Only w is touched after setjmp.
bool run(PngWriter& w, int width, int height, int channels, const uint8_t* pixels) {
  if (setjmp(png_jmpbuf(w.png))) return false;
  png_init_io(w.png, w.file);
  png_set_IHDR(w.png, w.info, width, height, 8, channels == 4 ? PNG_COLOR_TYPE_RGB_ALPHA : PNG_COLOR_TYPE_RGB,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(w.png, w.info);
  const size_t stride = static_cast<size_t>(width) * channels;
  for (int y = 0; y < height; ++y) png_write_row(w.png, pixels + y * stride);
  png_write_end(w.png, nullptr);
  return true;
}

}  // namespace

void write_png(const std::string& path, int width, int height, int channels, const uint8_t* pixels) {
  if (channels != 3 && channels != 4)
    throw Error(path + ": cannot write PNG with " + std::to_string(channels) + " channels, expected 3 or 4");
  if (!within_limits(width, height) || !pixels)
    throw Error(path + ": cannot write a " + std::to_string(width) + "x" + std::to_string(height) +
                " PNG (empty, too large or no pixel data)");

  const std::string tmp = path + ".tmp";
  bool ok = false;
  std::string why;
  {
    PngWriter w;
    w.file = std::fopen(tmp.c_str(), "wb");
    if (!w.file) throw Error(path + ": cannot create " + tmp + ": " + std::strerror(errno));
    w.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &w, on_error, on_warning);
    if (w.png) w.info = png_create_info_struct(w.png);
    if (!w.png || !w.info) {
      why = "cannot initialise libpng (out of memory)";
    } else if (!run(w, width, height, channels, pixels)) {
      why = w.message;
    } else {
      // fclose flushes; a full disk shows up here or as a stream error, not in libpng.
      const bool stream_ok = std::fflush(w.file) == 0 && !std::ferror(w.file);
      const int saved = errno;
      ok = std::fclose(w.file) == 0 && stream_ok;
      w.file = nullptr;
      if (!ok) why = std::strerror(saved ? saved : errno);
    }
  }
  if (ok && std::rename(tmp.c_str(), path.c_str()) != 0) {
    ok = false;
    why = std::string("cannot rename ") + tmp + ": " + std::strerror(errno);
  }
  if (!ok) {
    std::remove(tmp.c_str());
    throw Error(path + ": cannot write PNG: " + why);
  }
}

}  // namespace ss::image
