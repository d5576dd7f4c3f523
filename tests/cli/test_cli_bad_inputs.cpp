// Requests that cannot fit are refused up front with the estimate (SINKSCOPE_MEMORY_LIMIT_MB pins
// the available memory), `--check-finite` names the first non-finite tensor (trace, stream, generate),
// and every command gives one line and exit code 1 (bad data) or 2 (usage) on bad inputs (issue #6
// bad-input matrix): missing, directory, empty, truncated and wrong-family models and inputs, images
// that are not images, zero/negative numbers, conflicting flags. Images any decoder can convert
// (1x1, grayscale, 16-bit, CMYK) work. All inputs are made here, in C++.
#include <gtest/gtest.h>
#include <png.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>

#include <nlohmann/json.hpp>

#include "cli/cli_runner.h"
#include "common/assets.h"
#include "image/png_writer.h"
#include "image/synthetic.h"
#include "io/safetensors.h"

namespace ss::test {
namespace {

namespace fs = std::filesystem;

// Sets SINKSCOPE_MEMORY_LIMIT_MB for the children this test starts (popen inherits the environment).
class MemoryLimit {
 public:
  explicit MemoryLimit(const char* mb) { setenv("SINKSCOPE_MEMORY_LIMIT_MB", mb, 1); }
  ~MemoryLimit() { unsetenv("SINKSCOPE_MEMORY_LIMIT_MB"); }
  MemoryLimit(const MemoryLimit&) = delete;
  MemoryLimit& operator=(const MemoryLimit&) = delete;
};

// A tiny Bigram-Backcopy training config.
fs::path write_train_config(const fs::path& dir, int64_t batch, int64_t seq_len = 24) {
  const nlohmann::json j = {
      {"model", {{"dim", 32}, {"layers", 2}, {"heads", 2}, {"ffn_hidden", 64}}},
      {"data", {{"kind", "bigram-backcopy"}, {"vocab", 24}, {"triggers", 2}, {"successors", 3}}},
      {"train",
       {{"steps", 2}, {"batch", batch}, {"seq_len", seq_len}, {"lr", 1e-2}, {"warmup", 1}, {"eval_every", 0},
        {"eval_batches", 1}, {"checkpoint_every", 0}, {"log_every", 1}, {"seed", 1}}}};
  const fs::path p = dir / ("bb" + std::to_string(batch) + ".json");
  std::ofstream(p) << j.dump(2);
  return p;
}

std::string init_model(const fs::path& dir, const std::string& name, const std::string& config) {
  std::ofstream(dir / (name + ".json")) << config;
  const Result r = run("init " + quote((dir / (name + ".json")).string()) + " --out " + quote((dir / name).string()));
  EXPECT_EQ(r.code, 0) << r.out;
  return quote((dir / name).string());
}

const char* kTinyVit = R"({"family":"dinov2","dim":64,"depth":2,"heads":2})";
const char* kTinyLm =
    R"({"model_type":"llama","vocab_size":40,"hidden_size":32,"num_hidden_layers":2,"num_attention_heads":4,)"
    R"("num_key_value_heads":2,"intermediate_size":64,"max_position_embeddings":64})";
// The same shape over 260 ids, the vocabulary of write_byte_tokenizer().
const char* kTinyByteLm =
    R"({"model_type":"llama","vocab_size":260,"hidden_size":32,"num_hidden_layers":2,"num_attention_heads":4,)"
    R"("num_key_value_heads":2,"intermediate_size":64,"max_position_embeddings":64})";

void write_file(const fs::path& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

// How the one error line starts when it names `quoted` (a quote()d path, which holds no quote).
std::string names(const std::string& quoted, const std::string& rest) {
  return "error: " + quoted.substr(1, quoted.size() - 2) + rest;
}

// A llama2.c tokenizer of <unk>, <s>, </s>, one token per byte and " " (run.c's dummy prefix):
// encode()'s byte fallback then takes any text, valid UTF-8 or not. The layout is run.c's:
// max_token_length, then (score, length, bytes) per token.
void write_byte_tokenizer(const fs::path& path) {
  std::string bytes;
  const auto i32 = [&bytes](int32_t v) { bytes.append(reinterpret_cast<const char*>(&v), 4); };
  const auto token = [&](const std::string& piece) {
    i32(0);  // score 0.0f has the same bytes
    i32(static_cast<int32_t>(piece.size()));
    bytes += piece;
  };
  i32(6);
  for (const char* piece : {"<unk>", "\n<s>\n", "\n</s>\n"}) token(piece);
  char hex[8];
  for (int b = 0; b < 256; ++b) {
    std::snprintf(hex, sizeof hex, "<0x%02X>", b);
    token(hex);
  }
  token(" ");
  write_file(path, bytes);
}

// A copy of the model folder `from` in which the float32 weight `name` holds one NaN.
std::string poisoned_copy(const fs::path& from, const fs::path& to, const std::string& name) {
  fs::create_directories(to);
  for (const auto& e : fs::directory_iterator(from))
    if (e.path().filename() != "model.safetensors") fs::copy_file(e.path(), to / e.path().filename());
  const auto file = io::SafetensorsFile::open((from / "model.safetensors").string());
  std::vector<io::RawTensor> raws = file.tensors();
  auto bytes = std::make_shared<std::vector<uint8_t>>();
  for (auto& t : raws)
    if (t.name == name) {
      bytes->assign(t.data, t.data + t.nbytes);
      const float nan = std::numeric_limits<float>::quiet_NaN();
      std::memcpy(bytes->data(), &nan, sizeof nan);
      t.data = bytes->data();
      t.owner = bytes;
    }
  EXPECT_FALSE(bytes->empty()) << name << " is not in " << from;
  io::write_safetensors((to / "model.safetensors").string(), raws);
  return quote(to.string());
}

// Gray or 16-bit PNGs through libpng's simplified writer (sinkscope's own writes 8-bit RGB/RGBA only).
void write_png_as(const fs::path& path, int width, int height, uint32_t format, const void* pixels) {
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  img.width = static_cast<png_uint_32>(width);
  img.height = static_cast<png_uint_32>(height);
  img.format = format;
  ASSERT_TRUE(png_image_write_to_file(&img, path.c_str(), 0, pixels, 0, nullptr)) << path << ": " << img.message;
}

// Inputs a decoder converts to RGB the way PIL's convert("RGB") does, written to `dir`.
std::vector<fs::path> write_convertible_images(const fs::path& dir) {
  fs::create_directories(dir);
  const std::vector<fs::path> paths = {dir / "one_pixel.png", dir / "gray.png", dir / "rgb16.png", dir / "cmyk.jpg"};
  const uint8_t px[3] = {10, 200, 30};
  image::write_png(paths[0].string(), 1, 1, 3, px);
  const std::vector<uint8_t> gray = smooth_noise(20, 12, 1, 1);
  write_png_as(paths[1], 20, 12, PNG_FORMAT_GRAY, gray.data());
  std::vector<uint16_t> rgb16(20 * 12 * 3);
  for (size_t i = 0; i < rgb16.size(); ++i) rgb16[i] = static_cast<uint16_t>(i * 229 % 65536);
  write_png_as(paths[2], 20, 12, PNG_FORMAT_LINEAR_RGB, rgb16.data());
  JpegOptions cmyk;  // Adobe CMYK, as Photoshop writes it
  cmyk.in_space = cmyk.stored = JCS_CMYK;
  cmyk.comps = 4;
  cmyk.jfif = false;
  const std::vector<uint8_t> jpeg = encode_jpeg(24, 16, smooth_noise(24, 16, 4, 2), cmyk);
  write_file(paths[3], std::string(jpeg.begin(), jpeg.end()));
  return paths;
}

TEST(CliBadInputs, AbsurdResolutionIsRefusedWithTheEstimate) {
  const fs::path dir = scratch_dir();
  const std::string m = init_model(dir, "vit", kTinyVit);
  const std::string photo = asset("images/imagenet_sample/n01440764_tench.JPEG").string();
  if (!fs::exists(photo)) GTEST_SKIP() << "asset missing: " << photo;
  const MemoryLimit limit("64");
  const std::string out = quote((dir / "t.safetensors").string());
  expect_one_line_errors({
      {"trace " + m + " " + quote(photo) + " --resolution 20000 20000 --out " + out, 2, "needs about"},
      {"inspect " + m + " " + quote(photo) + " --resolution 20000 20000 --out " + quote((dir / "i").string()), 2,
       "needs about"},
  });
  EXPECT_FALSE(fs::exists(dir / "t.safetensors"));
  // A normal small run under the same limit, with the finite check on.
  const Result r = run("trace " + m + " " + quote(photo) + " --resolution 56 70 --check-finite --out " + out);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(fs::exists(dir / "t.safetensors"));
}

TEST(CliBadInputs, TrainingBatchLargerThanMemoryIsRefused) {
  const fs::path dir = scratch_dir();
  const MemoryLimit limit("64");
  expect_one_line_errors({{"train lm --config " + quote(write_train_config(dir, 1000000).string()) + " --out " +
                               quote((dir / "huge").string()),
                           2, "needs about"}});
  EXPECT_FALSE(fs::exists(dir / "huge"));
  const Result r =
      run("train lm --config " + quote(write_train_config(dir, 2).string()) + " --out " + quote((dir / "ok").string()));
  EXPECT_EQ(r.code, 0) << r.out;
}

TEST(CliBadInputs, DenseCacheLargerThanMemoryIsRefused) {
  const fs::path dir = scratch_dir();
  const std::string m = init_model(dir, "lm", kTinyLm);
  std::ofstream ids(dir / "ids.txt");
  for (int i = 0; i < 200; ++i) ids << (i % 40) << " ";
  ids.close();
  // 2 layers x 2 (k, v) x kv_dim 16 x 4 bytes = 256 bytes per token; 200 tokens do not fit in 10 KiB.
  const MemoryLimit limit("0.01");
  const std::string base = "stream " + m + " --ids " + quote((dir / "ids.txt").string()) + " --dense-limit 0";
  expect_one_line_errors({{base + " --cache dense", 2, "dense KV cache of 200 tokens needs about"}});
  const Result r = run(base + " --cache window:16");
  EXPECT_EQ(r.code, 0) << r.out;
}

TEST(CliBadInputs, TrainingCommandsGiveOneLineErrors) {
  const fs::path dir = scratch_dir();
  const std::string cfg = quote(write_train_config(dir, 2).string());
  const std::string lm = init_model(dir, "lm", kTinyLm);
  fs::create_directories(dir / "folder");
  std::ofstream(dir / "empty.json").close();
  std::ofstream(dir / "empty.txt").close();
  std::ofstream(dir / "ids.txt") << "1 2 3 4 5 6 7 8\n";
  const std::string missing = quote((dir / "missing.json").string()), folder = quote((dir / "folder").string()),
                    empty = quote((dir / "empty.json").string()), empty_txt = quote((dir / "empty.txt").string()),
                    ids = quote((dir / "ids.txt").string());
  expect_one_line_errors({
      {"train lm --config " + missing, 1, "missing.json"},
      {"train lm --config " + folder, 1, "folder"},
      {"train lm --config " + empty, 1, "empty.json"},
      {"train lm --config " + cfg + " --steps 0", 2, "--steps"},
      {"data sample " + missing, 1, "missing.json"},
      {"data sample " + folder, 1, "folder"},
      {"data sample " + empty, 1, "empty.json"},
      {"data sample " + cfg + " -n 0", 2, "-n"},
      {"data sample " + cfg + " --length 1", 2, "--length"},
      {"data sample " + cfg + " --split test", 2, "--split"},
      {"data stream " + cfg + " -n -5", 2, "-n"},
      {"data stream " + missing, 1, "missing.json"},
      {"eval backcopy " + missing, 1, "missing.json"},
      {"eval backcopy " + folder, 1, "folder"},
      {"eval backcopy " + empty, 1, "empty.json"},
      {"eval backcopy " + lm + " -n 0", 2, "-n"},
      {"eval backcopy " + lm + " --length 1", 2, "--length"},
      {"stream " + lm + " --ids " + missing, 1, "missing.json"},
      {"stream " + lm + " --ids " + folder, 1, "folder"},
      {"stream " + lm + " --ids " + empty_txt, 1, "empty.txt"},
      {"stream " + lm + " --text " + empty_txt + " --ids " + ids, 2, "--ids"},
      {"stream " + lm + " --ids " + ids + " --cache lru:8", 2, "lru:8"},
      {"stream " + lm + " --ids " + ids + " --ppl-window 0", 2, "--ppl-window"},
      {"stream " + lm + " --ids " + ids + " --max-tokens -1", 2, "--max-tokens"},
  });
}

TEST(CliBadInputs, CheckFiniteNamesTheFirstNonFiniteTensorInStreamAndGenerate) {
  const fs::path dir = scratch_dir();
  init_model(dir, "lm", kTinyByteLm);
  write_byte_tokenizer(dir / "lm" / "tokenizer.bin");
  const std::string nan = poisoned_copy(dir / "lm", dir / "nan", "model.layers.0.mlp.down_proj.weight");
  write_file(dir / "ids.txt", "1 5 6 7 8 9\n");
  const std::string stream = "stream " + nan + " --ids " + quote((dir / "ids.txt").string());
  const std::string out = " --out " + quote((dir / "s.json").string());
  // Without the flag the NaN flows through to the results (today's behaviour); with it, the run
  // stops at the tensor where it first appears, and like any error writes no JSON.
  EXPECT_EQ(run(stream + " --cache window:4" + out).code, 0);
  fs::remove(dir / "s.json");
  EXPECT_EQ(run("generate " + nan + " -n 3").code, 0);
  const std::string named = "error: non-finite values first appear in blocks.0.mlp.out (";
  expect_one_line_errors({{stream + " --cache window:4 --check-finite" + out, 1, named},
                          {stream + " --cache recompute:4 --check-finite", 1, named},
                          {"generate " + nan + " -n 3 --check-finite", 1, named}});
  EXPECT_FALSE(fs::exists(dir / "s.json"));
  // A clean model passes the check.
  const std::string lm = quote((dir / "lm").string());
  EXPECT_EQ(run("generate " + lm + " -n 3 --check-finite").code, 0);
  EXPECT_EQ(run("stream " + lm + " --ids " + quote((dir / "ids.txt").string()) + " --check-finite").code, 0);
}

TEST(CliBadInputs, OnePixelGrayscaleSixteenBitAndCmykImagesAreConvertedToRgb) {
  const fs::path dir = scratch_dir();
  const std::string m = init_model(dir, "vit", kTinyVit);
  std::string inputs;
  for (const auto& p : write_convertible_images(dir / "images")) inputs += " " + quote(p.string());
  const fs::path out = dir / "t.safetensors";
  const Result r = run("trace " + m + inputs + " --out " + quote(out.string()));
  ASSERT_EQ(r.code, 0) << r.out;
  const auto t = io::SafetensorsFile::open(out.string());
  ASSERT_NE(t.find("pixel_values"), nullptr);
  EXPECT_EQ(t.find("pixel_values")->shape, (std::vector<int64_t>{4, 3, 224, 224}));  // resized, then cropped
  // The same images as a folder (inspect and registers take directories).
  const Result i = run("inspect " + m + " " + quote((dir / "images").string()) +
                       " --out " + quote((dir / "r").string()));
  EXPECT_EQ(i.code, 0) << i.out;
}

// Inputs every command shares: the bad ones of the matrix, made in `dir`.
struct BadFiles {
  std::string missing, folder, empty, text, cut_png, cut_model, invalid_utf8;
};

BadFiles write_bad_files(const fs::path& dir, const fs::path& model_folder) {
  fs::create_directories(dir / "folder");
  write_file(dir / "empty.png", "");
  write_file(dir / "text.png", "not an image\n");
  std::vector<uint8_t> px(64 * 64 * 3, 128);
  image::write_png((dir / "cut.png").string(), 64, 64, 3, px.data());
  fs::resize_file(dir / "cut.png", fs::file_size(dir / "cut.png") / 2);
  fs::create_directories(dir / "cut_model");
  for (const auto& e : fs::directory_iterator(model_folder))
    fs::copy_file(e.path(), dir / "cut_model" / e.path().filename());
  const fs::path weights = dir / "cut_model" / "model.safetensors";
  fs::resize_file(weights, fs::file_size(weights) / 2);
  write_file(dir / "bad_utf8.txt", "caf\xc3 \xff\xfe once \x80 upon\n");
  const auto q = [&dir](const char* name) { return quote((dir / name).string()); };
  return {q("missing.png"), q("folder"),    q("empty.png"),   q("text.png"),
          q("cut.png"),     q("cut_model"), q("bad_utf8.txt")};
}

TEST(CliBadInputs, VisionCommandsGiveOneLineErrors) {
  const fs::path dir = scratch_dir();
  const std::string vit = init_model(dir, "vit", kTinyVit), lm = init_model(dir, "lm", kTinyLm);
  const BadFiles f = write_bad_files(dir, dir / "vit");
  const std::string img = quote(write_convertible_images(dir / "ok")[0].string());
  const std::string out = " --out " + quote((dir / "o.safetensors").string());
  const std::string report = " --out " + quote((dir / "r").string());
  const std::string neurons = " --out " + quote((dir / "n.json").string());
  const std::string vit_img = vit + " " + img;
  write_file(dir / "vit.json", kTinyVit);
  write_file(dir / "heads0.json", R"({"model_type":"llama","vocab_size":40,"hidden_size":32,"num_hidden_layers":2,)"
                                  R"("num_attention_heads":0,"intermediate_size":64})");
  const std::string vit_json = quote((dir / "vit.json").string()), heads0 = quote((dir / "heads0.json").string());
  const std::string to_x = " --out " + quote((dir / "x").string());
  expect_one_line_errors({
      // Images.
      {"trace " + vit + " " + f.missing + out, 1, names(f.missing, ": cannot open")},
      {"trace " + vit + " " + f.folder + out, 1, names(f.folder, ": is a directory, expected a PNG or JPEG")},
      {"trace " + vit + " " + f.empty + out, 1, names(f.empty, ": empty file, expected a PNG or JPEG")},
      {"trace " + vit + " " + f.text + out, 1, names(f.text, ": not a PNG or JPEG image")},
      {"trace " + vit + " " + f.cut_png + out, 1, names(f.cut_png, ": invalid PNG")},
      {"inspect " + vit + " " + f.missing + report, 1, names(f.missing, ": no such file or directory")},
      {"inspect " + vit + " " + f.folder + report, 1, names(f.folder, ": no .png/.jpg/.jpeg images")},
      {"inspect " + vit + " " + f.text + report, 1, names(f.text, ": not a PNG or JPEG image")},
      {"registers find " + vit + " " + f.empty + neurons, 1, names(f.empty, ": empty file")},
      // Models: missing, a folder without one, not a checkpoint, truncated, the other family.
      {"trace " + f.missing + " " + img + out, 1, names(f.missing, ": no such file or directory")},
      {"trace " + f.folder + " " + img + out, 1, names(f.folder, ": no checkpoint in this folder")},
      {"info " + f.text, 1, names(f.text, ": header length")},
      {"info " + f.cut_model, 1, "(truncated file?)"},
      {"inspect " + f.cut_model + " " + img + report, 1, "(truncated file?)"},
      {"trace " + lm + " " + img + out, 2, names(lm, " is a language model: give --ids FILE or --text")},
      {"registers find " + lm + " " + img + neurons, 2, names(lm, " is a language model; this command needs a vision")},
      {"bench vit " + lm, 2, names(lm, " is a language model; this command needs a vision model")},
      {"bench vit " + f.missing, 1, names(f.missing, ": no such file or directory")},
      // Flags: zero, negative, unknown values, conflicts, files they name.
      {"trace " + vit_img + " --batch 0" + out, 2, "error: --batch must be > 0, got 0"},
      {"trace " + vit_img + " --resolution 0 28" + out, 2, "error: --resolution: expected H W, positive multiples"},
      {"trace " + vit_img + " --dtype f16" + out, 2, "error: --dtype 'f16': expected f32 or bf16"},
      {"trace " + vit_img + " --pixels " + f.empty + out, 2, "or --pixels FILE (exactly one of them)"},
      {"trace " + vit_img + " --act relu" + out, 2, "error: --act: activation 'relu': expected"},
      {"trace " + vit_img + " --model-args " + f.missing + out, 1, names(f.missing, ": cannot open")},
      {"info " + vit + " --model-args " + f.folder, 1, names(f.folder, ": is a directory, expected a file")},
      {"inspect " + vit_img + " --max-images -1" + report, 2, "error: --max-images must be >= 0"},
      {"inspect " + vit_img + " --norm-threshold -1" + report, 2, "error: --norm-threshold: must be > 0, got -1"},
      {"inspect " + vit_img + " --detect-layer 5" + report, 2, "error: --detect-layer 5: the model has 2 blocks"},
      {"inspect " + vit_img + " --text " + f.invalid_utf8 + report, 2, "error: --text is for language models"},
      {"inspect " + vit_img + " --tt-registers " + f.empty + report, 1, names(f.empty, ": JSON is not valid JSON")},
      {"registers find " + vit_img + " --norm-threshold 0" + neurons, 2, "error: --norm-threshold: must be > 0, got 0"},
      {"registers bench " + vit, 2, "error: registers bench needs --tt-registers FILE"},
      {"bench vit " + vit + " --resolution 0 0", 2, "error: --resolution: expected H W, positive multiples"},
      {"bench vit " + vit + " --batch 0", 2, "error: --batch and --reps must be > 0"},
      {"bench vit " + vit + " --seed -1", 2, "error: --seed: must be >= 0, got -1"},
      // Configs of init / plant.
      {"init " + f.missing + to_x, 1, names(f.missing, ": cannot open")},
      {"init " + f.folder + to_x, 1, names(f.folder, ": is a directory")},
      {"init " + f.empty + to_x, 1, names(f.empty, ": JSON is not valid JSON")},
      {"init " + heads0 + to_x, 1, names(heads0, ": llama config: kv_heads must divide heads")},
      {"init " + vit_json + to_x + " --seed -1", 2, "error: --seed: must be >= 0, got -1"},
      {"plant " + f.missing + to_x, 1, names(f.missing, ": cannot open")},
      {"plant " + f.text + to_x, 1, names(f.text, ": JSON is not valid JSON")},
      {"plant " + vit_json + to_x + " --images -1", 2, "error: --images must be >= 0"},
  });
  EXPECT_FALSE(fs::exists(dir / "x"));
}

TEST(CliBadInputs, LanguageModelCommandsGiveOneLineErrors) {
  const fs::path dir = scratch_dir();
  const std::string vit = init_model(dir, "vit", kTinyVit), bare = init_model(dir, "bare", kTinyLm);
  const std::string lm = init_model(dir, "lm", kTinyByteLm);
  write_byte_tokenizer(dir / "lm" / "tokenizer.bin");
  const std::string tok = quote((dir / "lm" / "tokenizer.bin").string());
  const BadFiles f = write_bad_files(dir, dir / "lm");
  write_file(dir / "ids.txt", "1 5 6 7 8 9\n");
  write_file(dir / "empty.txt", "");
  const std::string ids = quote((dir / "ids.txt").string()), empty_ids = quote((dir / "empty.txt").string());
  const std::string out = " --out " + quote((dir / "o").string());
  expect_one_line_errors({
      // Models: the other family, missing, a folder without one, truncated, no tokenizer.
      {"generate " + vit, 2, names(vit, " is a vision model; this command needs a language model")},
      {"stream " + vit + " --ids " + ids, 2, names(vit, " is a vision model")},
      {"tokenize " + vit + " --text hi", 2, names(vit, " is a vision model")},
      {"bench lm " + vit, 2, names(vit, " is a vision model")},
      {"generate " + f.missing, 1, names(f.missing, ": no such file or directory")},
      {"generate " + f.folder, 1, names(f.folder, ": no config.json beside the weights")},
      {"generate " + f.cut_model, 1, "(truncated file?)"},
      {"generate " + bare + " -n 2", 2, "error: no tokenizer found beside the model; pass --tokenizer FILE"},
      {"generate " + bare + " --tokenizer " + f.missing, 1, names(f.missing, ": no such file or folder")},
      {"generate " + bare + " --tokenizer " + f.folder, 1, names(f.folder, ": no tokenizer.json")},
      {"generate " + bare + " --tokenizer " + f.empty, 1, names(f.empty, ": not a tokenizer")},
      {"generate " + bare + " --tokenizer " + tok + " --prompt hi", 1, "is outside the model's vocabulary (40)"},
      // Text and id inputs: missing, a directory, empty.
      {"tokenize --tokenizer " + tok + " --file " + f.missing, 1, names(f.missing, ": cannot open")},
      {"tokenize --tokenizer " + tok + " --file " + f.folder, 1, names(f.folder, ": is a directory, expected a file")},
      {"stream " + lm + " --text " + f.folder, 1, names(f.folder, ": is a directory, expected a file")},
      {"stream " + lm + " --text " + f.empty, 1, names(f.empty, ": fewer than 2 tokens")},
      {"trace " + lm + " --ids " + f.folder + out, 1, names(f.folder, ": is a directory, expected a file")},
      {"trace " + lm + " --ids " + empty_ids + out, 1, names(empty_ids, ": no token ids")},
      {"trace " + lm + " --ids " + f.invalid_utf8 + out, 1, "is not a token id"},
      {"inspect " + lm + " --text " + f.folder + out, 1, names(f.folder, ": is a directory, expected a file")},
      {"inspect " + lm + " --ids " + f.folder + out, 1, names(f.folder, ": is a directory, expected a file")},
      {"inspect " + lm + " " + f.text + out, 2, names(lm, " is a language model: give --text FILE")},
      // Flags: zero, negative, unknown values, conflicts.
      {"generate " + lm + " -n 0", 2, "error: -n must be > 0, got 0"},
      {"generate " + lm + " --temp -1", 2, "error: --temp must be >= 0"},
      {"generate " + lm + " --top-p 0 --temp 1", 2, "error: --top-p must be in (0, 1]"},
      {"generate " + lm + " --seed -1", 2, "error: --seed: must be >= 0, got -1"},
      {"tokenize --tokenizer " + tok + " --text a --file " + f.invalid_utf8, 2, "error: give exactly one of --text"},
      {"tokenize --tokenizer " + tok + " --decode '1 -4'", 2, "error: --decode: '-4' is not an id in 0..259"},
      {"tokenize --text a", 2, "error: give MODEL or --tokenizer FILE"},
      {"stream " + lm + " --ids " + ids + " --dense-limit -5", 2, "error: --dense-limit must be >= 0"},
      {"stream " + lm + " --ids " + ids + " --cache window:0", 2, "error: --cache 'window:0'"},
      {"trace " + lm + " --ids " + ids + " --text hi" + out, 2, "error: give --ids FILE or --text TEXT (exactly one"},
      {"inspect " + lm + " --probe random --seed -1" + out, 2, "error: --seed: must be >= 0, got -1"},
      {"inspect " + lm + " --probe random --num-seqs 0" + out, 2, "error: --num-seqs must be > 0"},
      {"bench lm " + lm + " --policies dense,lru", 2, "error: --policies: 'lru' is not one of"},
      {"bench lm " + lm + " --cache-sizes 4", 2, "error: --cache-sizes: '4' is not a size"},
  });
  // Text that is not UTF-8 is still text: byte-fallback tokenizers encode every byte.
  const Result t = run("tokenize --tokenizer " + tok + " --file " + f.invalid_utf8);
  EXPECT_EQ(t.code, 0) << t.out;
  EXPECT_NE(t.out.find("\"<0xFF>\""), std::string::npos) << t.out;
  const Result s = run("stream " + lm + " --text " + f.invalid_utf8 + " --cache window:4");
  EXPECT_EQ(s.code, 0) << s.out;
}

}  // namespace
}  // namespace ss::test
