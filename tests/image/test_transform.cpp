// preprocess() vs torchvision 0.14 re-implemented in the oracle script (torchvision itself is not
// installed): F.resize / F.center_crop (with F.pad → ImageOps.expand) on PIL images, ToTensor and
// Normalize in numpy float32 with torch's operation order. Also the golden fixtures' pixel_values.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "common/assets.h"
#include "image/decode.h"
#include "image/png_writer.h"
#include "image/transform.h"
#include "pil_oracle.h"
#include "synthetic.h"
#include "util/error.h"

namespace {

namespace fs = std::filesystem;
using ss::image::Filter;
using ss::image::Image;
using ss::image::Preprocess;
using ss::image::preprocess;

// torchvision 0.14.1 as used by the references. `convert_first`: DINOv2's loaders convert to RGB
// before the transform; openai/CLIP converts after Resize/CenterCrop (_convert_image_to_rgb).
const char* const kTorchvisionScript = R"PY(
NORM = {'imagenet': ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
        'clip': ((0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258, 0.27577711))}
FILTERS = {'nearest': Image.NEAREST, 'bilinear': Image.BILINEAR, 'bicubic': Image.BICUBIC}

def tv_resize(im, size, interpolation):  # functional.resize + _compute_resized_output_size
    w, h = im.size
    if isinstance(size, int):
        short, long = (w, h) if w <= h else (h, w)
        new_short, new_long = size, int(size * long / short)
        new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    else:
        new_h, new_w = size
    if (new_h, new_w) == (h, w):
        return im
    return im.resize((new_w, new_h), interpolation)  # functional_pil.resize

def tv_center_crop(im, crop_h, crop_w):  # functional.center_crop
    w, h = im.size
    if crop_w > w or crop_h > h:
        padding_ltrb = [(crop_w - w) // 2 if crop_w > w else 0, (crop_h - h) // 2 if crop_h > h else 0,
                        (crop_w - w + 1) // 2 if crop_w > w else 0, (crop_h - h + 1) // 2 if crop_h > h else 0]
        im = ImageOps.expand(im, border=tuple(padding_ltrb), fill=(0,) * len(im.getbands()))  # pad, fill=0
        w, h = im.size
        if crop_w == w and crop_h == h:
            return im
    top = int(round((h - crop_h) / 2.0))
    left = int(round((w - crop_w) / 2.0))
    return im.crop((left, top, left + crop_w, top + crop_h))

def tv_to_tensor_normalize(im, mean, std):
    t = np.asarray(im, dtype=np.uint8).transpose(2, 0, 1).astype(np.float32) / np.float32(255)  # .div(255)
    m = np.asarray(mean, dtype=np.float32)[:, None, None]  # torch.as_tensor(mean, dtype=float32)
    s = np.asarray(std, dtype=np.float32)[:, None, None]
    return (t - m) / s  # tensor.sub_(mean).div_(std)

for i, c in enumerate(json.load(open('cases.json'))):
    im = Image.open(c['file'])
    if c['convert_first']:
        im = im.convert('RGB')
    f = FILTERS[c['filter']]
    if 'resize_hw' in c:
        im = tv_resize(im, c['resize_hw'], f)
    if 'resize_shorter' in c:
        im = tv_resize(im, c['resize_shorter'], f)
    if 'crop' in c:
        im = tv_center_crop(im, *c['crop'])
    save('out_%d.npy' % i, tv_to_tensor_normalize(im.convert('RGB'), *NORM[c['norm']]))
)PY";

struct Case {
  std::string file;
  Preprocess p;
  std::string norm;           // "imagenet" or "clip": the Python literals behind p.mean / p.std
  bool convert_first = true;  // false: CLIP's convert-after-crop order
};

nlohmann::json to_json(const Case& c) {
  nlohmann::json j = {{"file", c.file},
                      {"norm", c.norm},
                      {"convert_first", c.convert_first},
                      {"filter", c.p.filter == Filter::Bicubic    ? "bicubic"
                                 : c.p.filter == Filter::Bilinear ? "bilinear"
                                                                  : "nearest"}};
  if (c.p.resize_shorter) j["resize_shorter"] = c.p.resize_shorter;
  if (c.p.crop_h) j["crop"] = {c.p.crop_h, c.p.crop_w};
  if (c.p.resize_h) j["resize_hw"] = {c.p.resize_h, c.p.resize_w};
  return j;
}

// Runs every case through preprocess() and the oracle; returns the largest |difference|.
double max_diff_vs_torchvision(const fs::path& dir, const std::vector<Case>& cases) {
  nlohmann::json j = nlohmann::json::array();
  for (const Case& c : cases) j.push_back(to_json(c));
  std::ofstream(dir / "cases.json") << j.dump();
  ss::test::run_python(dir, "torchvision", kTorchvisionScript);
  double worst = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(j[i].dump());
    const ss::test::Npy want = ss::test::load_npy(dir / ("out_" + std::to_string(i) + ".npy"));
    int h = 0, w = 0;
    const std::vector<float> got = preprocess(ss::image::read_image(cases[i].file), cases[i].p, &h, &w);
    EXPECT_EQ(want.shape, (std::vector<size_t>{3, size_t(h), size_t(w)}));
    const double d = ss::test::max_abs_diff(got, ss::test::npy_floats(want));
    EXPECT_EQ(d, 0.0);
    worst = std::max(worst, d);
  }
  return worst;
}

TEST(Transform, Dinov2AndClipMatchTorchvisionOnPhotos) {
  SS_REQUIRE_ASSET("images/misc/astronaut.png");
  SS_REQUIRE_PIL();
  const fs::path dir = ss::test::scratch_dir();
  std::vector<std::string> files;
  for (const char* rel : {"images/voc_sample/JPEGImages", "images/coco_sample/val2017",
                          "images/imagenet_sample", "images/misc"}) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(ss::test::asset(rel))) {
      const std::string ext = e.path().extension().string();
      if (ext == ".jpg" || ext == ".JPEG" || ext == ".png") names.push_back(e.path().string());
    }
    std::sort(names.begin(), names.end());
    for (size_t i = 0; i < names.size(); i += std::max<size_t>(1, names.size() / 4))
      files.push_back(names[i]);
  }
  // Grayscale photos: CLIP resizes them in mode L, which must agree with resizing the RGB copy.
  for (const char* rel : {"images/imagenet_sample/n02692877_airship.JPEG",
                          "images/imagenet_sample/n04254680_soccer_ball.JPEG", "images/misc/camera.png"})
    if (fs::exists(ss::test::asset(rel))) files.push_back(ss::test::asset(rel).string());

  std::vector<Case> cases;
  for (const std::string& f : files) {
    cases.push_back({f, ss::image::dinov2_eval_transform(), "imagenet", true});
    cases.push_back({f, ss::image::clip_transform(), "clip", false});
    cases.push_back({f, ss::image::clip_transform(336), "clip", false});
  }
  const double worst = max_diff_vs_torchvision(dir, cases);
  RecordProperty("max_abs_diff", std::to_string(worst));
  std::printf("  %zu photos x 3 transforms: max |diff| vs torchvision = %g\n", files.size(), worst);
}

// The other paths: exact resize (--resolution), zero padding when the crop exceeds the image, a
// shorter side already at the target, round-half-even crop offsets, bilinear and nearest.
TEST(Transform, EdgeCasesMatchTorchvision) {
  SS_REQUIRE_PIL();
  const fs::path dir = ss::test::scratch_dir();
  const auto synth = [&](int w, int h) {
    const std::string path = (dir / ("in_" + std::to_string(w) + "x" + std::to_string(h) + ".png")).string();
    ss::image::write_png(path, w, h, 3, ss::test::smooth_noise(w, h, 3, static_cast<unsigned>(w * h)).data());
    return path;
  };
  const Preprocess dino = ss::image::dinov2_eval_transform();
  const auto with = [&](auto edit) {
    Preprocess p = dino;
    p.resize_shorter = p.crop_h = p.crop_w = 0;
    edit(p);
    return p;
  };
  std::vector<Case> cases = {
      {synth(500, 375), with([](Preprocess& p) { p.resize_h = 336, p.resize_w = 448; }), "imagenet"},
      {synth(375, 500), with([](Preprocess& p) { p.resize_h = 518, p.resize_w = 518; }), "imagenet"},
      {synth(500, 375), with([](Preprocess& p) { p.resize_h = p.resize_w = 256, p.crop_h = p.crop_w = 224; }),
       "imagenet"},  // HF DeiT: square resize, then center crop
      {synth(100, 60), with([](Preprocess& p) { p.crop_h = p.crop_w = 224; }), "imagenet"},  // pad both
      {synth(301, 150), with([](Preprocess& p) { p.crop_h = 224, p.crop_w = 250; }),
       "imagenet"},  // pad + crop
      {synth(341, 256), with([](Preprocess& p) { p.crop_h = p.crop_w = 224; }),
       "imagenet"},  // left 58.5 -> 58
      {synth(339, 259), with([](Preprocess& p) { p.crop_h = p.crop_w = 224; }),
       "imagenet"},                         // 57.5 -> 58, 17.5 -> 18
      {synth(256, 400), dino, "imagenet"},  // shorter side already 256: no resize
      {synth(401, 257), with([](Preprocess& p) { p.resize_shorter = 224, p.filter = Filter::Bilinear; }),
       "imagenet"},
      {synth(401, 257), with([](Preprocess& p) { p.resize_shorter = 100, p.filter = Filter::Nearest; }),
       "imagenet"},
      {synth(7, 1000), ss::image::clip_transform(), "clip", false},  // long side 32000: int() truncation
  };
  EXPECT_EQ(max_diff_vs_torchvision(dir, cases), 0.0);
}

// pixel_values [2, 3, 224, 224] F32 from a safetensors file, parsed by hand: u64 LE header length,
// JSON header, raw little-endian data.
std::vector<float> read_pixel_values(const fs::path& path) {
  const std::vector<uint8_t> raw = ss::test::read_bytes(path);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = n << 8 | raw.at(i);
  const auto header = nlohmann::json::parse(raw.begin() + 8, raw.begin() + 8 + static_cast<long>(n));
  const auto& t = header.at("pixel_values");
  EXPECT_EQ(t.at("dtype"), "F32");
  EXPECT_EQ(t.at("shape"), nlohmann::json({2, 3, 224, 224}));
  const size_t begin = t.at("data_offsets")[0], end = t.at("data_offsets")[1];
  std::vector<float> v((end - begin) / 4);
  EXPECT_LE(8 + n + end, raw.size());
  std::memcpy(v.data(), raw.data() + 8 + n + begin, v.size() * 4);
  return v;
}

// The fixtures' inputs went through ToTensor + Normalize only (already 224x224).
void check_fixture(const std::string& folder, const Preprocess& norm_source) {
  const std::string rel = "fixtures/" + folder + "/inputs.safetensors";
  SS_REQUIRE_ASSET(rel);
  const std::vector<float> want = read_pixel_values(ss::test::asset(rel));
  Preprocess p;
  p.mean = norm_source.mean;
  p.std = norm_source.std;
  double worst = 0;
  for (int i = 0; i < 2; ++i) {
    int h = 0, w = 0;
    const Image img = ss::image::read_image(
        ss::test::asset("fixtures/" + folder + "/input_" + std::to_string(i) + ".png").string());
    const std::vector<float> got = preprocess(img, p, &h, &w);
    ASSERT_EQ(h, 224);
    ASSERT_EQ(w, 224);
    const std::vector<float> slice(want.begin() + i * got.size(), want.begin() + (i + 1) * got.size());
    worst = std::max(worst, ss::test::max_abs_diff(got, slice));
  }
  EXPECT_LE(worst, 1e-6);
  EXPECT_EQ(worst, 0.0) << "float32 operation order differs from torchvision";
  std::printf("  %s pixel_values: max |diff| = %g\n", folder.c_str(), worst);
}

TEST(Transform, Dinov2FixturePixelValues) {
  check_fixture("dinov2_vit_noreg_224", ss::image::dinov2_eval_transform());
}
TEST(Transform, ClipFixturePixelValues) { check_fixture("clip_vit_hf_224", ss::image::clip_transform()); }

// Oracle-free checks of the crop geometry: pixel (x, y) holds (x + 1, y + 1, 0) and std = 1/255,
// so each output value is its source coordinate + 1, or 0 where torchvision pads.
TEST(Transform, CropGeometry) {
  const auto coords = [](int w, int h) {
    Image img{w, h, std::vector<uint8_t>(size_t(w) * h * 3)};
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        img.rgb[(size_t(y) * w + x) * 3] = static_cast<uint8_t>(x + 1);
        img.rgb[(size_t(y) * w + x) * 3 + 1] = static_cast<uint8_t>(y + 1);
      }
    return img;
  };
  // Source (x, y) of output pixel (ox, oy) after a crop_h x crop_w center crop; -1 = padding.
  const auto source = [&](int w, int h, int crop_h, int crop_w, int ox, int oy) {
    Preprocess p;
    p.std = {1.f / 255, 1.f / 255, 1.f / 255};
    p.crop_h = crop_h;
    p.crop_w = crop_w;
    int oh = 0, ow = 0;
    const std::vector<float> t = preprocess(coords(w, h), p, &oh, &ow);
    EXPECT_EQ(std::make_pair(ow, oh), std::make_pair(crop_w, crop_h));
    const size_t i = size_t(oy) * ow + ox, plane = size_t(oh) * ow;
    return std::make_pair(int(std::lround(t[i])) - 1, int(std::lround(t[plane + i])) - 1);
  };
  EXPECT_EQ(source(241, 240, 224, 224, 0, 0), std::make_pair(8, 8));   // 8.5 -> 8 (half to even)
  EXPECT_EQ(source(243, 242, 224, 224, 0, 0), std::make_pair(10, 9));  // 9.5 -> 10
  // Width 200 < 224: 12 black columns on each side; height 230 -> 223: top = round(3.5) = 4.
  EXPECT_EQ(source(200, 230, 223, 224, 11, 0), std::make_pair(-1, -1));
  EXPECT_EQ(source(200, 230, 223, 224, 12, 0), std::make_pair(0, 4));
  EXPECT_EQ(source(200, 230, 223, 224, 211, 222), std::make_pair(199, 226));
  EXPECT_EQ(source(200, 230, 223, 224, 212, 0), std::make_pair(-1, -1));
  // Odd padding (23 columns): 11 before, 12 after.
  EXPECT_EQ(source(201, 224, 224, 224, 10, 5), std::make_pair(-1, -1));
  EXPECT_EQ(source(201, 224, 224, 224, 11, 5), std::make_pair(0, 5));
  EXPECT_EQ(source(201, 224, 224, 224, 212, 5), std::make_pair(-1, -1));
}

TEST(Transform, ShorterSideUsesTruncation) {
  Preprocess p;
  p.resize_shorter = 256;
  int h = 0, w = 0;
  preprocess(Image{500, 375, std::vector<uint8_t>(500 * 375 * 3)}, p, &h, &w);
  EXPECT_EQ(std::make_pair(w, h), std::make_pair(341, 256));  // 341.33
  preprocess(Image{333, 500, std::vector<uint8_t>(333 * 500 * 3)}, p, &h, &w);
  EXPECT_EQ(std::make_pair(w, h), std::make_pair(256, 384));  // 384.38
  preprocess(Image{3, 2, std::vector<uint8_t>(3 * 2 * 3)}, p, &h, &w);
  EXPECT_EQ(std::make_pair(w, h), std::make_pair(384, 256));  // 384.0 exactly
}

TEST(Transform, RejectsInconsistentSettings) {
  const Image img{4, 4, std::vector<uint8_t>(48)};
  const auto bad = [&](auto edit) {
    Preprocess p;
    edit(p);
    EXPECT_THROW(preprocess(img, p, nullptr, nullptr), ss::UsageError);
  };
  bad([](Preprocess& p) { p.crop_h = 2; });
  bad([](Preprocess& p) { p.resize_w = 2; });
  bad([](Preprocess& p) { p.resize_h = p.resize_w = 2, p.resize_shorter = 3; });
  bad([](Preprocess& p) { p.resize_shorter = -1; });
  bad([](Preprocess& p) { p.std[1] = 0.f; });
  EXPECT_THROW(ss::image::clip_transform(0), ss::UsageError);
  EXPECT_THROW(preprocess(Image{4, 4, std::vector<uint8_t>(47)}, Preprocess{}, nullptr, nullptr), ss::Error);
  Preprocess huge;
  huge.resize_shorter = 100000;  // long side 100000 * 4 / 4, fine per side, too many pixels
  EXPECT_THROW(preprocess(img, huge, nullptr, nullptr), ss::Error);
}

}  // namespace
