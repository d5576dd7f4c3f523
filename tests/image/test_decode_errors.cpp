// Bad input: every failure is an ss::Error whose single-line message names the file; nothing
// crashes, aborts, hangs or allocates for a size the data cannot back. Only the truncation test
// needs the oracle.
#include <gtest/gtest.h>

#include <zlib.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "common/assets.h"
#include "image/decode.h"
#include "image/png_writer.h"
#include "pil_oracle.h"
#include "synthetic.h"
#include "util/error.h"

namespace {

namespace fs = std::filesystem;
using ss::image::Image;
using ss::image::decode_image;
using ss::image::read_image;

// Expects read_image(path) to throw ss::Error with a one-line message naming the path and
// containing `needle`.
void expect_error(const fs::path& path, const std::string& needle) {
  try {
    read_image(path.string());
    ADD_FAILURE() << "no error for " << path;
  } catch (const ss::Error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind(path.string() + ": ", 0), 0u) << msg;
    EXPECT_NE(msg.find(needle), std::string::npos) << "expected '" << needle << "' in: " << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

std::vector<uint8_t> png_bytes(const fs::path& dir, int w, int h, int channels) {
  const std::vector<uint8_t> px = ss::test::smooth_noise(w, h, channels, 5);
  ss::image::write_png((dir / "src.png").string(), w, h, channels, px.data());
  return ss::test::read_bytes(dir / "src.png");
}

std::vector<uint8_t> jpeg_bytes(bool progressive) {
  ss::test::JpegOptions o;
  o.progressive = progressive;
  return ss::test::encode_jpeg(64, 48, ss::test::smooth_noise(64, 48, 3, 9), o);
}

std::vector<uint8_t> head(const std::vector<uint8_t>& v, size_t n) { return {v.begin(), v.begin() + n}; }

TEST(DecodeErrors, MissingEmptyDirectoryAndNonImages) {
  const fs::path dir = ss::test::scratch_dir();
  expect_error(dir / "missing.png", "No such file");
  expect_error(dir, "is a directory");
  ss::test::write_bytes(dir / "empty.png", {});
  expect_error(dir / "empty.png", "empty file");
  const std::string text = "hello, this is not an image\n";
  ss::test::write_bytes(dir / "text.jpg", {text.begin(), text.end()});
  expect_error(dir / "text.jpg", "not a PNG or JPEG image (starts with bytes 68 65 6c 6c");
  const std::string gif = "GIF89a\x01\x00\x01\x00";
  ss::test::write_bytes(dir / "image.png", {gif.begin(), gif.end()});
  expect_error(dir / "image.png", "GIF images are not supported");
  ss::test::write_bytes(dir / "sig_only.png", head(png_bytes(dir, 8, 8, 3), 8));
  expect_error(dir / "sig_only.png", "invalid PNG");
  ss::test::write_bytes(dir / "soi_only.jpg", {0xff, 0xd8, 0xff});
  expect_error(dir / "soi_only.jpg", "JPEG");
}

TEST(DecodeErrors, TruncatedFiles) {
  const fs::path dir = ss::test::scratch_dir();
  const std::vector<uint8_t> png = png_bytes(dir, 64, 48, 3);
  ss::test::write_bytes(dir / "half.png", head(png, png.size() / 2));
  expect_error(dir / "half.png", "invalid PNG: file is truncated");
  for (bool progressive : {false, true}) {
    const std::vector<uint8_t> jpg = jpeg_bytes(progressive);
    const fs::path p = dir / (progressive ? "half_progressive.jpg" : "half.jpg");
    ss::test::write_bytes(p, head(jpg, jpg.size() / 2));
    expect_error(p, "truncated JPEG");
    ss::test::write_bytes(p, head(jpg, 300));  // inside the tables
    expect_error(p, "JPEG");
  }
}

// Cut or damaged files decode or fail where PIL does. Both accept a PNG missing its trailing
// chunks (IEND) or with a bad IDAT CRC, and neither a PNG with a bad CRC before IDAT nor a JPEG
// without its EOI marker (libjpeg's Huffman decoder reads ahead for the last rows and PIL's
// suspending source then reports truncation). Known gap, see png_decode.cpp: a PNG cut inside the
// last IDAT's CRC, after the compressed data, is PIL-readable but refused here.
const char* const kCutScript = R"PY(
out = []
for i, f in enumerate(json.load(open('cuts.json'))):
    try:
        save('expect_%d.npy' % i, np.asarray(Image.open(f).convert('RGB')))
        out.append({'file': f, 'expect': 'expect_%d.npy' % i})
    except Exception as e:
        out.append({'file': f, 'error': str(e)})
json.dump(out, open('manifest.json', 'w'))
)PY";

TEST(DecodeErrors, CutAndDamagedFilesMatchPil) {
  SS_REQUIRE_PIL();
  const fs::path dir = ss::test::scratch_dir();
  nlohmann::json cuts = nlohmann::json::array();
  const auto cut = [&](const std::string& name, const std::vector<uint8_t>& bytes, size_t drop) {
    const std::string file = name + "_minus" + std::to_string(drop) + name.substr(name.size() - 4);
    ss::test::write_bytes(dir / file, head(bytes, bytes.size() - drop));
    cuts.push_back(file);
  };
  const std::vector<uint8_t> png = png_bytes(dir, 64, 48, 4);
  for (size_t drop : {0, 4, 12, 40}) cut("rgba.png", png, drop);
  // PNG chunk surgery: chunks start at byte 8 as length(4, big-endian) type(4) data crc(4).
  size_t idat = 8;
  while (std::string(png.begin() + idat + 4, png.begin() + idat + 8) != "IDAT")
    idat += 12 + (png[idat] << 24 | png[idat + 1] << 16 | png[idat + 2] << 8 | png[idat + 3]);
  const size_t idat_len = png[idat] << 24 | png[idat + 1] << 16 | png[idat + 2] << 8 | png[idat + 3];
  std::vector<uint8_t> bad_idat_crc = png;
  bad_idat_crc[idat + 8 + idat_len] ^= 0x55;
  cut("bad_idat_crc.png", bad_idat_crc, 0);
  std::vector<uint8_t> bad_text_crc(png.begin(), png.begin() + idat);
  const std::string text = std::string("\0\0\0\x05tEXtab\0cd", 13) + "CRC!";
  bad_text_crc.insert(bad_text_crc.end(), text.begin(), text.end());
  bad_text_crc.insert(bad_text_crc.end(), png.begin() + idat, png.end());
  cut("bad_text_crc.png", bad_text_crc, 0);
  for (bool progressive : {false, true})
    for (size_t drop : {0, 1, 2, 3, 40})
      cut(progressive ? "progressive.jpg" : "baseline.jpg", jpeg_bytes(progressive), drop);
  std::ofstream(dir / "cuts.json") << cuts.dump();
  ss::test::run_python(dir, "decode_cuts", kCutScript);

  int pil_ok = 0, pil_refused = 0;
  for (const auto& entry : nlohmann::json::parse(std::ifstream(dir / "manifest.json"))) {
    const fs::path path = dir / entry["file"].get<std::string>();
    SCOPED_TRACE(path.filename().string());
    if (entry.contains("error")) {
      ++pil_refused;
      expect_error(path,
                   entry["file"].get<std::string>().find("crc") != std::string::npos ? "CRC" : "truncated");
    } else {
      ++pil_ok;
      EXPECT_TRUE(ss::test::same_pixels(
          read_image(path.string()),
          ss::test::npy_image(ss::test::load_npy(dir / entry["expect"].get<std::string>()))));
    }
  }
  EXPECT_EQ(pil_ok, 6);  // the uncut files, the PNG cuts after IDAT, the bad IDAT CRC
  EXPECT_EQ(pil_refused, 10);
}

// Headers claiming huge images are refused before any pixel buffer is allocated.
TEST(DecodeErrors, HugeDimensionsAreRefusedEarly) {
  const fs::path dir = ss::test::scratch_dir();
  std::vector<uint8_t> png = png_bytes(dir, 8, 8, 3);
  // IHDR data starts at byte 16: width, height (big-endian); its CRC follows the 13 data bytes.
  const auto put32 = [](std::vector<uint8_t>& v, size_t at, uint32_t x) {
    for (int i = 0; i < 4; ++i) v[at + i] = static_cast<uint8_t>(x >> (24 - 8 * i));
  };
  put32(png, 16, 100000);
  put32(png, 20, 100000);
  put32(png, 29, static_cast<uint32_t>(crc32(0, png.data() + 12, 17)));
  ss::test::write_bytes(dir / "huge.png", png);
  expect_error(dir / "huge.png", "image is 100000x100000 pixels");

  std::vector<uint8_t> jpg = jpeg_bytes(false);
  for (size_t i = 0; i + 9 < jpg.size(); ++i)
    if (jpg[i] == 0xff && jpg[i + 1] == 0xc0) {  // SOF0: length(2) precision(1) height(2) width(2)
      jpg[i + 5] = jpg[i + 7] = 0xfd;
      jpg[i + 6] = jpg[i + 8] = 0xe8;  // 65000 x 65000
      break;
    }
  ss::test::write_bytes(dir / "huge.jpg", jpg);
  expect_error(dir / "huge.jpg", "image is 65000x65000 pixels");
}

// A lower pixel budget (the fuzzer's) refuses on the header too, and names the budget.
TEST(DecodeErrors, APixelBudgetBelowTheLimitIsEnforcedOnTheHeader) {
  const fs::path dir = ss::test::scratch_dir();
  const std::vector<uint8_t> png = png_bytes(dir, 8, 8, 3);
  EXPECT_EQ(decode_image(png.data(), png.size(), "p.png", 64).width, 8);
  try {
    decode_image(png.data(), png.size(), "p.png", 63);
    ADD_FAILURE() << "an 8x8 image passed a 63-pixel budget";
  } catch (const ss::Error& e) {
    EXPECT_NE(std::string(e.what()).find("p.png: image is 8x8 pixels; this reader accepts 1..131072 per side and at most 63 pixels"),
              std::string::npos) << e.what();
  }
  const std::vector<uint8_t> jpg = jpeg_bytes(false);
  EXPECT_THROW(decode_image(jpg.data(), jpg.size(), "j.jpg", 1), ss::Error);
}

// A legal progressive JPEG with ~2000 scans: PIL would grind through it; this reader stops.
TEST(DecodeErrors, AbsurdScanCountsAreRefused) {
  const fs::path dir = ss::test::scratch_dir();
  ss::test::JpegOptions o;
  o.scans.push_back({3, {0, 1, 2, 0}, 0, 0, 0, 0});  // all DC at once
  for (int comp = 0; comp < 3; ++comp)
    for (int k = 1; k < 64; ++k) {
      o.scans.push_back({1, {comp}, k, k, 0, 10});
      for (int al = 9; al >= 0; --al) o.scans.push_back({1, {comp}, k, k, al + 1, al});
    }
  ss::test::write_bytes(dir / "scans.jpg",
                        ss::test::encode_jpeg(16, 16, ss::test::smooth_noise(16, 16, 3, 1), o));
  const auto start = std::chrono::steady_clock::now();
  expect_error(dir / "scans.jpg", "more than 1000 scans");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

// Random corruption of valid files (a poor man's fuzzer, meaningful under ASan/UBSan): each
// attempt either decodes or throws ss::Error; anything else fails the test or crashes.
TEST(DecodeErrors, CorruptedBytesNeverEscapeAsAnythingButSsError) {
  const fs::path dir = ss::test::scratch_dir();
  const std::vector<std::vector<uint8_t>> seeds = {png_bytes(dir, 33, 17, 3), png_bytes(dir, 9, 31, 4),
                                                   jpeg_bytes(false), jpeg_bytes(true)};
  std::mt19937 rng(42);
  int decoded = 0, refused = 0;
  for (const auto& seed : seeds)
    for (int round = 0; round < 300; ++round) {
      std::vector<uint8_t> data = seed;
      const int flips = 1 + static_cast<int>(rng() % 8);
      for (int i = 0; i < flips; ++i) data[8 + rng() % (data.size() - 8)] = static_cast<uint8_t>(rng());
      if (rng() % 4 == 0) data.resize(8 + rng() % (data.size() - 8));
      try {
        const Image img = ss::image::decode_image(data.data(), data.size(), "fuzz");
        ASSERT_EQ(img.rgb.size(), static_cast<size_t>(img.width) * img.height * 3);
        ++decoded;
      } catch (const ss::Error& e) {
        ASSERT_EQ(std::string(e.what()).rfind("fuzz: ", 0), 0u) << e.what();
        ++refused;
      }
    }
  EXPECT_GT(decoded, 0);
  EXPECT_GT(refused, 0);
}

}  // namespace
