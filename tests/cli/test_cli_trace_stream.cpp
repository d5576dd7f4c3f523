// `sinkscope trace` on many images: outputs stream to the file batch by batch (the same tensors as
// one batch of all images), --list and --samples, and Ctrl-C keeps a valid file holding exactly the
// images done (exit 130).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cli/cli_runner.h"
#include "common/assets.h"
#include "io/safetensors.h"

namespace ss::test {
namespace {

namespace fs = std::filesystem;

const char* kPhotos[] = {"images/imagenet_sample/n01440764_tench.JPEG", "images/imagenet_sample/n01496331_electric_ray.JPEG",
                         "images/imagenet_sample/n01530575_brambling.JPEG"};

// A random-weight DINOv2 with registers: small enough that decoding the photos dominates.
fs::path tiny_model(const fs::path& dir) {
  std::ofstream(dir / "cfg.json") << R"({"family":"dinov2","dim":32,"depth":2,"heads":2,"num_registers":2})";
  const Result r = run("init " + quote((dir / "cfg.json").string()) + " --out " + quote((dir / "m").string()));
  EXPECT_EQ(r.code, 0) << r.out;
  return dir / "m";
}

float max_abs_diff(const io::RawTensor& a, const io::RawTensor& b, int64_t a_item = -1, int64_t b_item = -1) {
  // Whole tensors, or item `a_item` of a against item `b_item` of b.
  const size_t item = a.nbytes / static_cast<size_t>(std::max<int64_t>(a.shape.at(0), 1)) / sizeof(float);
  const auto* x = reinterpret_cast<const float*>(a.data) + (a_item < 0 ? 0 : a_item * item);
  const auto* y = reinterpret_cast<const float*>(b.data) + (b_item < 0 ? 0 : b_item * item);
  const size_t n = a_item < 0 ? a.nbytes / sizeof(float) : item;
  float m = 0;
  for (size_t i = 0; i < n; ++i) m = std::max(m, std::abs(x[i] - y[i]));
  return m;
}

TEST(CliTraceStream, ListInBatchesMatchesOneBatchAndLogsSamples) {
  for (const char* p : kPhotos) SS_REQUIRE_ASSET(p);
  const fs::path dir = scratch_dir();
  const fs::path model = tiny_model(dir);
  std::string args;
  {
    std::ofstream list(dir / "list.txt");
    for (const char* p : kPhotos) {
      list << asset(p).string() << "\n\n";
      args += " " + quote(asset(p).string());
    }
  }
  const std::string common = "trace " + quote(model.string()) + " --resolution 28 42 --tensors 'blocks.*.mlp.out'";
  Result r = run(common + args + " --batch 8 --out " + quote((dir / "one.safetensors").string()));
  ASSERT_EQ(r.code, 0) << r.out;
  r = run(common + " --list " + quote((dir / "list.txt").string()) + " --batch 2 --out " +
          quote((dir / "two.safetensors").string()) + " --samples " + quote((dir / "s.json").string()));
  ASSERT_EQ(r.code, 0) << r.out;
  const auto one = io::SafetensorsFile::open((dir / "one.safetensors").string());
  const auto two = io::SafetensorsFile::open((dir / "two.safetensors").string());
  ASSERT_EQ(one.tensors().size(), two.tensors().size());
  for (const io::RawTensor& t : one.tensors()) {
    const io::RawTensor* u = two.find(t.name);
    ASSERT_NE(u, nullptr) << t.name;
    EXPECT_EQ(u->shape, t.shape) << t.name;
    EXPECT_LE(max_abs_diff(t, *u), 1e-4f) << t.name;  // batch 3 vs 2 + 1: float rounding only
  }
  EXPECT_EQ(one.metadata(), two.metadata());  // the same inputs, in order
  // token_norms stacks blocks.{i}.out only, not the blocks.{i}.mlp.out asked for as well.
  EXPECT_EQ(two.find("token_norms")->shape, (std::vector<int64_t>{3, 2, 1 + 2 + 6}));
  const auto log = nlohmann::json::parse(std::ifstream(dir / "s.json"));
  EXPECT_EQ(log["done"], 3);
  EXPECT_EQ(log["stopped"], "");
  ASSERT_GE(log["samples"].size(), 2u);
  EXPECT_EQ(log["samples"].back()["images"], 3);
  EXPECT_GT(log["rss_end_kb"].get<int64_t>(), 0);

  std::ofstream(dir / "empty.txt") << "\n";
  expect_one_line_errors({{common + " --list " + quote((dir / "missing.txt").string()) + " --out o", 1, "missing.txt"},
                          {common + " --list " + quote((dir / "empty.txt").string()) + " --out o", 1, "no paths"}});
}

// Interrupted after the first batches of 5000: a file the strict reader accepts, every per-image
// tensor cut to the same k images, the metadata listing those k inputs, no temporary left.
TEST(CliTraceStream, CtrlCKeepsTheImagesDone) {
  SS_REQUIRE_ASSET(kPhotos[0]);
  const fs::path dir = scratch_dir();
  const fs::path model = tiny_model(dir);
  const int64_t n = 5000;
  {
    std::ofstream list(dir / "list.txt");
    for (int64_t i = 0; i < n; ++i) list << asset(kPhotos[0]).string() << "\n";
  }
  const fs::path out = dir / "t.safetensors";
  const int code = run_and_interrupt({"trace", model.string(), "--list", (dir / "list.txt").string(), "--resolution", "28", "28",
                                      "--batch", "2", "--out", out.string(), "--samples", (dir / "s.json").string()},
                                     [&out] {
                                       if (!fs::exists(out.string() + ".tmp")) return false;  // the first batch is written
                                       std::this_thread::sleep_for(std::chrono::milliseconds(300));
                                       return true;
                                     });
  EXPECT_EQ(code, 130);
  EXPECT_FALSE(fs::exists(out.string() + ".tmp"));
  const auto f = io::SafetensorsFile::open(out.string());
  const io::RawTensor* block = f.find("blocks.1.out");
  ASSERT_NE(block, nullptr);
  const int64_t k = block->shape[0];
  EXPECT_GE(k, 2);
  EXPECT_LT(k, n);
  EXPECT_EQ(k % 2, 0);  // whole batches only
  for (const io::RawTensor& t : f.tensors()) EXPECT_EQ(t.shape[0], k) << t.name;
  EXPECT_EQ(nlohmann::json::parse(f.metadata().at("inputs")).size(), static_cast<size_t>(k));
  // One photo throughout: the last kept image's outputs equal the first's, so each slice was moved
  // from where it was written (pixels exactly; activations up to the rounding of batch rows).
  EXPECT_EQ(max_abs_diff(*f.find("pixel_values"), *f.find("pixel_values"), 0, k - 1), 0.0f);
  for (const char* name : {"blocks.1.out", "token_norms"})
    EXPECT_LE(max_abs_diff(*f.find(name), *f.find(name), 0, k - 1), 1e-5f) << name;
  const auto log = nlohmann::json::parse(std::ifstream(dir / "s.json"));
  EXPECT_EQ(log["stopped"], "interrupted");
  EXPECT_EQ(log["done"], k);
}

}  // namespace
}  // namespace ss::test
