// resize() vs Pillow 9.4's Image.resize, byte for byte: synthetic noise and hard edges (which
// drive the cubic's overshoot into both clip8 limits), real photos, and awkward sizes.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "common/assets.h"
#include "image/decode.h"
#include "image/resample.h"
#include "pil_oracle.h"
#include "util/error.h"

namespace {

namespace fs = std::filesystem;
using ss::image::Filter;
using ss::image::Image;
using ss::image::resize;

const char* filter_name(Filter f) {
  switch (f) {
    case Filter::Nearest: return "nearest";
    case Filter::Bilinear: return "bilinear";
    case Filter::Bicubic: return "bicubic";
  }
  return "?";
}

constexpr Filter kFilters[] = {Filter::Bicubic, Filter::Bilinear, Filter::Nearest};

// Each case: an input (a generated pattern of a given size, or an image file), a target size and
// a filter. The script saves the input array (generated ones) and Pillow's result.
const char* const kResizeScript = R"PY(
FILTERS = {'nearest': Image.NEAREST, 'bilinear': Image.BILINEAR, 'bicubic': Image.BICUBIC}
rng = np.random.RandomState(11)
def pattern(kind, w, h):
    if kind == 'noise':
        return rng.randint(0, 256, size=(h, w, 3)).astype(np.uint8)
    y, x = np.mgrid[0:h, 0:w]   # hard-edged blocks of 0/255 plus a ramp: maximal overshoot
    blocks = (((x // 3) + (y // 2)) % 2) * 255
    return np.stack([blocks, 255 - blocks, (x * 255 // max(w - 1, 1))], axis=-1).astype(np.uint8)
for i, c in enumerate(json.load(open('cases.json'))):
    if 'file' in c:
        src = Image.open(c['file']).convert('RGB')
    else:
        arr = pattern(c['kind'], c['w'], c['h'])
        save('in_%d.npy' % i, arr)
        src = Image.fromarray(arr)
    save('out_%d.npy' % i, np.asarray(src.resize((c['out_w'], c['out_h']), FILTERS[c['filter']])))
)PY";

// Runs the cases through the script and compares; `load(i, case)` gives case i's input image.
template <typename Load>
void check_cases(const fs::path& dir, const nlohmann::json& cases, Load load) {
  std::ofstream(dir / "cases.json") << cases.dump();
  ss::test::run_python(dir, "resize", kResizeScript);
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].dump());
    const Image want = ss::test::npy_image(ss::test::load_npy(dir / ("out_" + std::to_string(i) + ".npy")));
    const Filter f = cases[i]["filter"] == "nearest"    ? Filter::Nearest
                     : cases[i]["filter"] == "bilinear" ? Filter::Bilinear
                                                        : Filter::Bicubic;
    EXPECT_TRUE(
        ss::test::same_pixels(resize(load(i, cases[i]), cases[i]["out_w"], cases[i]["out_h"], f), want));
  }
}

TEST(Resize, SyntheticSizesMatchPil) {
  SS_REQUIRE_PIL();
  const fs::path dir = ss::test::scratch_dir();
  const int sizes[][4] = {
      {500, 375, 341, 256},  // torchvision Resize(256) on a VOC-sized photo
      {640, 480, 64, 48},    // strong downscale: support widened 10x
      {1000, 3, 2, 3},       // extreme horizontal downscale, height kept
      {300, 200, 280, 190},  // mild downscale
      {37, 23, 448, 336},    // upscale
      {448, 336, 37, 23},   {1, 1, 5, 7},   {1, 1, 1, 1},         {1, 50, 1, 20},
      {1, 50, 7, 20},       {50, 1, 20, 1}, {10, 10, 10, 25},  // vertical pass only
      {10, 10, 25, 10},                                        // horizontal pass only
      {97, 61, 61, 97},     {3, 3, 1, 1},   {257, 255, 224, 224}, {123, 77, 600, 13},
  };
  nlohmann::json cases = nlohmann::json::array();
  for (const auto& s : sizes)
    for (const char* kind : {"noise", "edges"})
      for (Filter f : kFilters)
        cases.push_back({{"kind", kind},
                         {"w", s[0]},
                         {"h", s[1]},
                         {"out_w", s[2]},
                         {"out_h", s[3]},
                         {"filter", filter_name(f)}});
  check_cases(dir, cases, [&](size_t i, const nlohmann::json&) {
    return ss::test::npy_image(ss::test::load_npy(dir / ("in_" + std::to_string(i) + ".npy")));
  });
}

TEST(Resize, RealPhotosMatchPil) {
  SS_REQUIRE_ASSET("images/misc/chelsea.png");
  SS_REQUIRE_PIL();
  const fs::path dir = ss::test::scratch_dir();
  const char* photos[] = {"images/misc/chelsea.png", "images/misc/camera.png", "images/misc/rocket.jpg",
                          "images/voc_sample/JPEGImages/2007_000027.jpg",
                          "images/imagenet_sample/n02692877_airship.JPEG"};  // the last is grayscale
  nlohmann::json cases = nlohmann::json::array();
  for (const char* rel : photos) {
    SS_REQUIRE_ASSET(rel);
    const Image img = ss::image::read_image(ss::test::asset(rel).string());
    const int short_side = std::min(img.width, img.height);
    const int targets[][2] = {{img.width * 256 / short_side, img.height * 256 / short_side},
                              {224, 224},
                              {37, 23},
                              {img.width * 3 / 2, img.height * 3 / 2}};
    for (const auto& t : targets)
      for (Filter f : kFilters)
        cases.push_back({{"file", ss::test::asset(rel).string()},
                         {"out_w", t[0]},
                         {"out_h", t[1]},
                         {"filter", filter_name(f)}});
  }
  check_cases(dir, cases, [](size_t, const nlohmann::json& c) {
    return ss::image::read_image(c["file"].get<std::string>());
  });
}

Image constant_image(int w, int h, uint8_t r, uint8_t g, uint8_t b) {
  Image img{w, h, {}};
  for (int i = 0; i < w * h; ++i) img.rgb.insert(img.rgb.end(), {r, g, b});
  return img;
}

// Normalised weights reproduce a flat colour exactly, whatever the filter and scale.
TEST(Resize, FlatColourStaysFlat) {
  const Image img = constant_image(53, 29, 0, 200, 255);
  for (Filter f : kFilters)
    for (auto [w, h] : {std::pair{7, 3}, {53, 90}, {200, 29}, {1, 1}}) {
      const Image out = resize(img, w, h, f);
      EXPECT_TRUE(ss::test::same_pixels(out, constant_image(w, h, 0, 200, 255)))
          << filter_name(f) << " " << w << "x" << h;
    }
}

TEST(Resize, SameSizeIsACopy) {
  const Image img{2, 1, {1, 2, 3, 4, 5, 6}};
  for (Filter f : kFilters) EXPECT_TRUE(ss::test::same_pixels(resize(img, 2, 1, f), img));
}

TEST(Resize, RejectsBadSizes) {
  const Image img = constant_image(4, 4, 1, 2, 3);
  EXPECT_THROW(resize(img, 0, 4, Filter::Bicubic), ss::Error);
  EXPECT_THROW(resize(img, 4, -1, Filter::Bicubic), ss::Error);
  EXPECT_THROW(resize(img, ss::image::kMaxSide + 1, 1, Filter::Bilinear), ss::Error);
  EXPECT_THROW(resize(img, 20000, 20000, Filter::Nearest), ss::Error);  // > kMaxPixels
  EXPECT_THROW(resize(Image{4, 4, std::vector<uint8_t>(10)}, 2, 2, Filter::Bicubic), ss::Error);
  EXPECT_THROW(resize(Image{}, 2, 2, Filter::Bicubic), ss::Error);
}

}  // namespace
