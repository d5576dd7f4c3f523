// read_image / decode_image: file reading, format sniffing and the limits shared by the decoders.
#include "image/decode.h"

#include <cerrno>
#include <cstdio>
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "image/codecs.h"
#include "util/error.h"

namespace ss::image {
namespace {

// Files are read whole; anything larger than 1 GiB (far beyond any real photo, even at image.h's
// pixel limit with typical compression) is refused before reading, so a stray path to a huge file
// cannot fill memory.
constexpr uintmax_t kMaxFileBytes = uintmax_t{1} << 30;

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};

std::vector<uint8_t> read_file(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st))
    throw Error(path + ": cannot open: " + (ec ? ec.message() : std::strerror(ENOENT)));
  if (fs::is_directory(st)) throw Error(path + ": is a directory, expected a PNG or JPEG file");
  // FIFOs and devices could block forever or never end.
  if (!fs::is_regular_file(st)) throw Error(path + ": not a regular file, expected a PNG or JPEG file");
  const uintmax_t size = fs::file_size(path, ec);
  if (ec) throw Error(path + ": cannot read: " + ec.message());
  if (size > kMaxFileBytes)
    throw Error(path + ": file is " + std::to_string(size) + " bytes, more than the " +
                std::to_string(kMaxFileBytes) + " an image may have");

  const std::unique_ptr<FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
  if (!f) throw Error(path + ": cannot open: " + std::strerror(errno));
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  if (!bytes.empty() && std::fread(bytes.data(), 1, bytes.size(), f.get()) != bytes.size())
    throw Error(path + ": cannot read: " +
                (std::ferror(f.get()) ? std::strerror(errno) : "file shrank while reading"));
  return bytes;
}

bool starts_with(const uint8_t* data, size_t n, const char* magic, size_t len, size_t at = 0) {
  return n >= at + len && std::memcmp(data + at, magic, len) == 0;
}

// Names formats PIL would open but this reader does not, so the message says what to convert.
const char* other_format(const uint8_t* data, size_t n) {
  if (starts_with(data, n, "GIF87a", 6) || starts_with(data, n, "GIF89a", 6)) return "GIF";
  if (starts_with(data, n, "RIFF", 4) && starts_with(data, n, "WEBP", 4, 8)) return "WebP";
  if (starts_with(data, n, "II*\0", 4) || starts_with(data, n, "MM\0*", 4)) return "TIFF";
  if (starts_with(data, n, "BM", 2)) return "BMP";
  return nullptr;
}

std::string hex_prefix(const uint8_t* data, size_t n) {
  std::string out;
  char buf[4];
  for (size_t i = 0; i < n && i < 8; ++i) {
    std::snprintf(buf, sizeof buf, i ? " %02x" : "%02x", data[i]);
    out += buf;
  }
  return out;
}

}  // namespace

namespace detail {

void check_decoded_size(int64_t width, int64_t height, int64_t max_pixels, const std::string& name) {
  if (!within_limits(width, height) || width * height > max_pixels)
    throw Error(name + ": image is " + std::to_string(width) + "x" + std::to_string(height) +
                " pixels; this reader accepts 1.." + std::to_string(kMaxSide) + " per side and at most " +
                std::to_string(std::min(max_pixels, kMaxPixels)) + " pixels");
}

}  // namespace detail

Image decode_image(const uint8_t* data, size_t n, const std::string& name_for_errors, int64_t max_pixels) {
  const std::string& name = name_for_errors;
  if (n == 0) throw Error(name + ": empty file, expected a PNG or JPEG image");
  if (starts_with(data, n, "\x89PNG\r\n\x1a\n", 8)) return detail::decode_png(data, n, max_pixels, name);
  // PIL's JpegImagePlugin accepts exactly this prefix (SOI followed by any marker).
  if (starts_with(data, n, "\xff\xd8\xff", 3)) return detail::decode_jpeg(data, n, max_pixels, name);
  if (const char* fmt = other_format(data, n))
    throw Error(name + ": " + fmt + " images are not supported, expected PNG or JPEG");
  throw Error(name + ": not a PNG or JPEG image (starts with bytes " + hex_prefix(data, n) + ")");
}

Image read_image(const std::string& path) {
  const std::vector<uint8_t> bytes = read_file(path);
  return decode_image(bytes.data(), bytes.size(), path);
}

}  // namespace ss::image
