// Decoding vs the oracle: every PNG colour type / bit depth / interlacing and JPEG colour space,
// synthetic and real, must equal PIL's Image.open(p).convert("RGB") byte for byte.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/assets.h"
#include "image/decode.h"
#include "pil_oracle.h"
#include "synthetic.h"

namespace {

namespace fs = std::filesystem;
using ss::image::Image;
using ss::image::read_image;

// Decodes every {"file", "expect"} pair of dir/manifest.json and compares with PIL's array.
// Returns how many files were checked.
size_t check_manifest(const fs::path& dir) {
  std::ifstream f(dir / "manifest.json");
  const nlohmann::json manifest = nlohmann::json::parse(f);
  for (const auto& entry : manifest) {
    const std::string file = entry["file"].get<std::string>();
    SCOPED_TRACE(file);
    const fs::path path = fs::path(file).is_absolute() ? fs::path(file) : dir / file;
    Image got;
    try {
      got = read_image(path.string());
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what();
      continue;
    }
    EXPECT_TRUE(ss::test::same_pixels(
        got, ss::test::npy_image(ss::test::load_npy(dir / entry["expect"].get<std::string>()))));
  }
  return manifest.size();
}

// Python side of the PNG test: a raw PNG writer for what Pillow cannot write (bit depths 1-4 and
// 16 in colour, short palettes, tRNS on gray/RGB, Adam7 interlacing), plus Pillow's own files in
// every mode; then PIL's decoding of each as the expectation.
const char* const kPngScript = R"PY(
rng = np.random.RandomState(20240601)
manifest = []

def chunk(tag, data):
    return struct.pack('>I', len(data)) + tag + data + struct.pack('>I', zlib.crc32(tag + data) & 0xffffffff)

def pack_row(row, depth):
    flat = row.reshape(-1).astype(np.uint32)
    if depth == 16:
        return flat.astype('>u2').tobytes()
    if depth == 8:
        return flat.astype(np.uint8).tobytes()
    per = 8 // depth
    flat = np.concatenate([flat, np.zeros((-len(flat)) % per, np.uint32)]).reshape(-1, per)
    return (flat << (np.arange(per - 1, -1, -1, dtype=np.uint32) * depth)).sum(axis=1).astype(np.uint8).tobytes()

ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]

def craft(name, samples, depth, ctype, plte=None, trns=None, interlace=False):
    h, w = samples.shape[:2]
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    raw = b''
    for x0, y0, dx, dy in passes:
        sub = samples[y0::dy, x0::dx]
        if sub.shape[0] == 0 or sub.shape[1] == 0:
            continue
        for row in sub:
            raw += b'\x00' + pack_row(row, depth)
    data = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, depth, ctype, 0, 0, int(interlace)))
    if plte is not None:
        data += chunk(b'PLTE', bytes(np.asarray(plte, np.uint8).reshape(-1)))
    if trns is not None:
        data += chunk(b'tRNS', trns)
    data += chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b'')
    open(name + '.png', 'wb').write(data)
    manifest.append(name + '.png')

def noise(h, w, c, depth):
    return rng.randint(0, 1 << depth, size=(h, w, c))

for depth in (1, 2, 4, 8):
    craft('gray%d' % depth, noise(23, 37, 1, depth), depth, 0)
    craft('gray%d_interlaced' % depth, noise(23, 37, 1, depth), depth, 0, interlace=True)
g16 = noise(29, 31, 1, 16)
small = rng.rand(29, 31, 1) < 0.5
g16[small] = rng.randint(0, 256, size=int(small.sum()))  # half below 256: PIL clips, not shifts
craft('gray16', g16, 16, 0)
craft('gray16_interlaced', g16, 16, 0, interlace=True)
craft('gray8_trns', noise(17, 19, 1, 8), 8, 0, trns=struct.pack('>H', 7))
craft('gray16_trns', g16, 16, 0, trns=struct.pack('>H', 300))
craft('ga8', noise(23, 37, 2, 8), 8, 4)
craft('ga16', noise(23, 37, 2, 16), 16, 4)
craft('ga8_interlaced', noise(23, 37, 2, 8), 8, 4, interlace=True)
craft('rgb16', noise(23, 37, 3, 16), 16, 2)
craft('rgb16_interlaced', noise(23, 37, 3, 16), 16, 2, interlace=True)
craft('rgba16', noise(23, 37, 4, 16), 16, 6)
craft('rgb8_trns', noise(17, 19, 3, 8), 8, 2, trns=struct.pack('>HHH', 1, 2, 3))
craft('rgb8_interlaced', noise(23, 37, 3, 8), 8, 2, interlace=True)
craft('rgba8_interlaced', noise(23, 37, 4, 8), 8, 6, interlace=True)
for w, h in ((1, 1), (3, 2), (1, 9), (9, 1), (8, 8)):
    craft('rgb8_interlaced_%dx%d' % (w, h), noise(h, w, 3, 8), 8, 2, interlace=True)
for depth in (1, 2, 4, 8):
    n = 1 << depth
    craft('pal%d' % depth, noise(23, 37, 1, depth), depth, 3, plte=rng.randint(0, 256, size=(n, 3)))
craft('pal4_interlaced', noise(23, 37, 1, 4), 4, 3, plte=rng.randint(0, 256, size=(16, 3)), interlace=True)
craft('pal8_trns', noise(23, 37, 1, 8), 8, 3, plte=rng.randint(0, 256, size=(256, 3)), trns=bytes(range(0, 256, 3)))
# Only 5 PLTE entries, indices up to 255: PIL maps the missing ones through its gray default palette.
craft('pal8_short_plte', noise(23, 37, 1, 8), 8, 3, plte=rng.randint(0, 256, size=(5, 3)))

# Pillow's own writer, one file per mode.
rgba = noise(21, 33, 4, 8).astype(np.uint8)
pil_images = {
    'pil_1': Image.fromarray(rgba[..., 0] > 127),
    'pil_L': Image.fromarray(rgba[..., 0]),
    'pil_LA': Image.fromarray(rgba[..., :2], 'LA'),
    'pil_RGB': Image.fromarray(rgba[..., :3]),
    'pil_RGBA': Image.fromarray(rgba),
    'pil_I16': Image.fromarray(g16[..., 0].astype(np.uint16)),
    'pil_I': Image.fromarray((g16[..., 0].astype(np.int32) - 1000), 'I'),
}
pal = Image.fromarray(rgba[..., :3]).quantize(colors=50)
pil_images['pil_P_index_transparency'] = pal
for name, im in pil_images.items():
    im.save(name + '.png')
    manifest.append(name + '.png')
pal.save('pil_P_transparency.png', transparency=3)
manifest.append('pil_P_transparency.png')
pal.save('pil_P_transparency_bytes.png', transparency=bytes(range(50)))
manifest.append('pil_P_transparency_bytes.png')

out = []
for i, f in enumerate(manifest):
    save('expect_%d.npy' % i, np.asarray(Image.open(f).convert('RGB')))
    out.append({'file': f, 'expect': 'expect_%d.npy' % i})
json.dump(out, open('manifest.json', 'w'))
)PY";

TEST(DecodePng, EveryColourTypeAndDepthMatchesPil) {
  SS_REQUIRE_PIL();
  const fs::path dir = ss::test::scratch_dir();
  ss::test::run_python(dir, "make_pngs", kPngScript);
  EXPECT_GE(check_manifest(dir), 40u);
}

const char* const kJpegScript = R"PY(
rng = np.random.RandomState(7)
def smooth(h, w, c):
    y, x = np.mgrid[0:h, 0:w]
    base = (x * 255.0 / max(w - 1, 1) + y * 80.0 / max(h - 1, 1))[..., None] + np.arange(c) * 50.0
    return np.clip(base % 256 + rng.randint(-25, 26, size=(h, w, c)), 0, 255).astype(np.uint8)

files = []
def put(name, im, **kw):
    im.save(name, **kw)
    files.append(name)

for (w, h) in ((64, 48), (37, 23), (1, 1), (17, 9), (9, 17)):
    rgb = Image.fromarray(smooth(h, w, 3))
    for sub in (0, 1, 2):
        for q in (50, 90):
            put('rgb_%dx%d_sub%d_q%d.jpg' % (w, h, sub, q), rgb, quality=q, subsampling=sub)
    put('gray_%dx%d.jpg' % (w, h), rgb.convert('L'), quality=75)
    put('cmyk_%dx%d.jpg' % (w, h), Image.fromarray(smooth(h, w, 4), 'CMYK'), quality=85)
big = Image.fromarray(smooth(120, 160, 3))
put('rgb_q100.jpg', big, quality=100, subsampling=0)
put('rgb_progressive.jpg', big, quality=80, progressive=True)
put('rgb_optimized_420.jpg', big, quality=70, optimize=True, subsampling=2)
put('gray_progressive.jpg', big.convert('L'), quality=80, progressive=True)
put('rgb_restart.jpg', big, quality=80, restart_marker_blocks=2)

files += sorted(f for f in os.listdir('.') if f.startswith('libjpeg_'))
out = []
for i, f in enumerate(files):
    save('expect_%d.npy' % i, np.asarray(Image.open(f).convert('RGB')))
    out.append({'file': f, 'expect': 'expect_%d.npy' % i})
json.dump(out, open('manifest.json', 'w'))
)PY";

TEST(DecodeJpeg, ColourSpacesSubsamplingAndQualitiesMatchPil) {
  SS_REQUIRE_PIL();
  const fs::path dir = ss::test::scratch_dir();
  // Colour-space storage Pillow cannot write: YCCK (Adobe transform 2), plain Adobe CMYK and RGB
  // (transform 0), YCbCr without a JFIF marker.
  const auto put = [&](const char* name, int comps, J_COLOR_SPACE stored, unsigned seed) {
    ss::test::JpegOptions o;
    o.in_space = comps == 4 ? JCS_CMYK : JCS_RGB;
    o.comps = comps;
    o.stored = stored;
    o.jfif = false;
    ss::test::write_bytes(dir / name,
                          ss::test::encode_jpeg(45, 31, ss::test::smooth_noise(45, 31, comps, seed), o));
  };
  put("libjpeg_ycck.jpg", 4, JCS_YCCK, 1);
  put("libjpeg_cmyk.jpg", 4, JCS_CMYK, 2);
  put("libjpeg_rgb.jpg", 3, JCS_RGB, 3);
  put("libjpeg_ycbcr_nojfif.jpg", 3, JCS_YCbCr, 4);
  ss::test::run_python(dir, "make_jpegs", kJpegScript);
  EXPECT_GE(check_manifest(dir), 49u);
}

// Real photos: all of misc/, ten spread over each sample set, plus every non-RGB one and every
// name with an apostrophe (the selection is made by the script, which can read modes cheaply).
const char* const kAssetScript = R"PY(
sets = ['images/misc', 'images/voc_sample/JPEGImages', 'images/coco_sample/val2017', 'images/imagenet_sample']
chosen = []
for s in sets:
    d = os.path.join(ROOT, s)
    names = sorted(n for n in os.listdir(d) if n.lower().endswith(('.jpg', '.jpeg', '.png')))
    if s.endswith('misc'):
        pick = names
    else:
        pick = [names[i * len(names) // 10] for i in range(10)]
        pick += [n for n in names if "'" in n or Image.open(os.path.join(d, n)).mode != 'RGB']
    chosen += [os.path.join(d, n) for n in sorted(set(pick))]
out = []
for i, f in enumerate(chosen):
    im = Image.open(f)
    save('expect_%d.npy' % i, np.asarray(im.convert('RGB')))
    out.append({'file': f, 'expect': 'expect_%d.npy' % i, 'mode': im.mode})
json.dump(out, open('manifest.json', 'w'))
print(sum(1 for o in out if o['mode'] != 'RGB'), 'non-RGB')
)PY";

TEST(DecodeAssets, RealPhotosMatchPil) {
  SS_REQUIRE_ASSET("images/misc/astronaut.png");
  SS_REQUIRE_ASSET("images/imagenet_sample");
  SS_REQUIRE_PIL();
  const fs::path dir = ss::test::scratch_dir();
  // A JSON string is also a valid Python string literal.
  const std::string body =
      "ROOT = " + nlohmann::json(ss::test::assets_dir().string()).dump() + "\n" + kAssetScript;
  const std::string out = ss::test::run_python(dir, "decode_assets", body);
  EXPECT_GT(std::atoi(out.c_str()), 0) << "expected grayscale photos among the assets: " << out;
  EXPECT_GE(check_manifest(dir), 36u);
}

// Quotes, spaces and non-ASCII in paths: nothing is passed through a shell.
TEST(DecodeFiles, AwkwardPathsAndMemoryMatchFile) {
  const fs::path dir = ss::test::scratch_dir();
  const fs::path src = ss::test::asset("fixtures/dinov2_vit_noreg_224/input_0.png");
  if (!fs::exists(src)) GTEST_SKIP() << "asset missing: " << src;
  const fs::path odd = dir / "carpenter's kit \xc3\xa9.png";
  fs::copy_file(src, odd);
  const Image a = read_image(odd.string());
  const std::vector<uint8_t> bytes = ss::test::read_bytes(src);
  const Image b = ss::image::decode_image(bytes.data(), bytes.size(), "memory");
  EXPECT_EQ(a.width, 224);
  EXPECT_EQ(a.height, 224);
  EXPECT_TRUE(ss::test::same_pixels(a, b));
}

}  // namespace
