// write_png: lossless round trip through our reader and through PIL (alpha kept in the file),
// atomic replacement via path.tmp, and one-line errors naming the path.
#include <gtest/gtest.h>

#include <filesystem>
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
using ss::image::write_png;

TEST(WritePng, RoundTripsRgbAndDropsAlphaOnRead) {
  const fs::path dir = ss::test::scratch_dir();
  const std::vector<uint8_t> rgb = ss::test::smooth_noise(37, 23, 3, 1);
  write_png((dir / "rgb.png").string(), 37, 23, 3, rgb.data());
  EXPECT_TRUE(ss::test::same_pixels(ss::image::read_image((dir / "rgb.png").string()), {37, 23, rgb}));

  std::vector<uint8_t> rgba = ss::test::smooth_noise(37, 23, 4, 2);
  write_png((dir / "rgba.png").string(), 37, 23, 4, rgba.data());
  std::vector<uint8_t> no_alpha;
  for (size_t i = 0; i < rgba.size(); i += 4)
    no_alpha.insert(no_alpha.end(), rgba.begin() + i, rgba.begin() + i + 3);
  EXPECT_TRUE(ss::test::same_pixels(ss::image::read_image((dir / "rgba.png").string()), {37, 23, no_alpha}));
  EXPECT_FALSE(fs::exists(dir / "rgba.png.tmp"));
}

TEST(WritePng, PilReadsTheSamePixelsIncludingAlpha) {
  SS_REQUIRE_PIL();
  const fs::path dir = ss::test::scratch_dir();
  const std::vector<uint8_t> rgba = ss::test::smooth_noise(19, 11, 4, 3);
  write_png((dir / "rgba.png").string(), 19, 11, 4, rgba.data());
  ss::test::run_python(
      dir, "read",
      "im = Image.open('rgba.png')\nassert im.mode == 'RGBA', im.mode\nsave('rgba.npy', np.asarray(im))\n");
  const ss::test::Npy got = ss::test::load_npy(dir / "rgba.npy");
  EXPECT_EQ(got.shape, (std::vector<size_t>{11, 19, 4}));
  EXPECT_EQ(got.bytes, rgba);
}

TEST(WritePng, ReplacesAnExistingFile) {
  const fs::path dir = ss::test::scratch_dir();
  const std::string path = (dir / "out.png").string();
  ss::test::write_bytes(path, {'o', 'l', 'd'});
  const std::vector<uint8_t> px(2 * 2 * 3, 200);
  write_png(path, 2, 2, 3, px.data());
  EXPECT_TRUE(ss::test::same_pixels(ss::image::read_image(path), {2, 2, px}));
}

TEST(WritePng, ErrorsNameThePath) {
  const fs::path dir = ss::test::scratch_dir();
  const std::vector<uint8_t> px(4 * 4 * 4, 1);
  const auto expect_error = [&](const std::string& path, int w, int h, int channels, const uint8_t* data) {
    try {
      write_png(path, w, h, channels, data);
      ADD_FAILURE() << "no error for " << path;
    } catch (const ss::Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind(path + ": ", 0), 0u) << e.what();
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(path + ".tmp"));
  };
  expect_error((dir / "no_such_dir" / "x.png").string(), 4, 4, 3, px.data());
  expect_error((dir / "two.png").string(), 4, 4, 2, px.data());
  expect_error((dir / "empty.png").string(), 0, 4, 3, px.data());
  expect_error((dir / "null.png").string(), 4, 4, 3, nullptr);
  // The target is a directory: the temporary file is written, the rename fails and is cleaned up.
  fs::create_directory(dir / "taken.png");
  expect_error((dir / "taken.png").string(), 4, 4, 3, px.data());
}

}  // namespace
