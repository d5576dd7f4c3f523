// The binary as a user runs it: exit codes, one-line errors, outputs on disk.
#include <gtest/gtest.h>

#include <fstream>

#include "common/assets.h"
#include <sstream>

#include "cli_runner.h"
#include "io/safetensors.h"

namespace ss::test {
namespace {

float max_abs_diff(const io::RawTensor& a, const io::RawTensor& b) {
  EXPECT_EQ(a.shape, b.shape) << a.name;
  EXPECT_EQ(a.dtype, io::DType::F32);
  if (a.shape != b.shape) return 1e30f;
  const auto* x = reinterpret_cast<const float*>(a.data);
  const auto* y = reinterpret_cast<const float*>(b.data);
  float m = 0;
  for (int64_t i = 0; i < a.numel(); ++i) m = std::max(m, std::abs(x[i] - y[i]));
  return m;
}

const char* kDino = "fixtures/dinov2_vit_noreg_224";

// The command list comes from the root --help, so a new command without an example fails here.
TEST(Cli, EveryCommandHasHelpWithAnExample) {
  Result root = run("--help");
  ASSERT_EQ(root.code, 0) << root.out;
  const auto at = root.out.find("Subcommands:");
  ASSERT_NE(at, std::string::npos) << root.out;
  std::istringstream lines(root.out.substr(at));
  std::vector<std::string> commands;
  std::string line;
  std::getline(lines, line);
  while (std::getline(lines, line) && line.rfind("  ", 0) == 0) {
    std::istringstream words(line);
    std::string name;
    words >> name;
    commands.push_back(name);
  }
  EXPECT_GE(commands.size(), 8u) << root.out;
  commands.push_back("bench vit");
  for (const auto& cmd : commands) {
    Result r = run(cmd + " --help");
    EXPECT_EQ(r.code, 0) << cmd;
    EXPECT_NE(r.out.find("Example"), std::string::npos) << cmd << ":\n" << r.out;
  }
}

TEST(Cli, TracePixelsMatchesOfficialDinov2) {
  SS_REQUIRE_ASSET(kDino);
  const auto fx = asset(kDino);
  const auto out = scratch_dir() / "trace.safetensors";
  Result r = run("trace " + quote((fx / "original" / "model.pth").string()) + " --pixels " +
                 quote((fx / "inputs.safetensors").string()) + " --out " + quote(out.string()) +
                 " --tensors 'blocks.*.attn.probs'");
  ASSERT_EQ(r.code, 0) << r.out;
  const auto got = io::SafetensorsFile::open(out.string());
  const auto exp = io::SafetensorsFile::open((fx / "expected.safetensors").string());
  for (int i = 0; i < 2; ++i) {
    const auto* g = got.find("blocks." + std::to_string(i) + ".out");
    const auto* e = exp.find("block_out." + std::to_string(i));
    ASSERT_TRUE(g && e);
    EXPECT_LE(max_abs_diff(*g, *e), 1e-4f) << "block " << i;
    const auto* gp = got.find("blocks." + std::to_string(i) + ".attn.probs");
    const auto* ep = exp.find("attn_probs." + std::to_string(i));
    ASSERT_TRUE(gp && ep);
    EXPECT_LE(max_abs_diff(*gp, *ep), 1e-5f) << "probs " << i;
  }
  for (const char* n : {"pixel_values", "final_norm", "token_norms"}) EXPECT_NE(got.find(n), nullptr) << n;
  EXPECT_EQ(got.metadata().at("family"), "dinov2");
}

TEST(Cli, InfoDescribesEachFixtureLayout) {
  SS_REQUIRE_ASSET(kDino);
  Result r = run("info " + quote((asset(kDino) / "original" / "model.pth").string()));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("dinov2 (layout dinov2-original)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2 layers, 2 heads x 32"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("scale_offset (offset 0.1)"), std::string::npos) << r.out;
  r = run("info " + quote((asset("fixtures/clip_vit_hf_224") / "hf").string()) + " --json");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("\"activation\": \"quick_gelu\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"proj_dim\": 48"), std::string::npos) << r.out;
}

TEST(Cli, InitThenTraceImagesAndBench) {
  const auto dir = scratch_dir();
  std::ofstream(dir / "cfg.json") << R"({"family":"dinov2","dim":64,"depth":2,"heads":2,"num_registers":4})";
  Result r = run("init " + quote((dir / "cfg.json").string()) + " --out " + quote((dir / "m").string()));
  ASSERT_EQ(r.code, 0) << r.out;
  r = run("info " + quote((dir / "m").string()));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("registers 4"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("size_antialias"), std::string::npos) << r.out;
  r = run("bench vit " + quote((dir / "m").string()) + " --batch 1 --reps 1 --warmup 0 --resolution 28 42 --json " +
          quote((dir / "b.json").string()));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("bf16"), std::string::npos) << r.out;
  EXPECT_TRUE(std::filesystem::exists(dir / "b.json"));

  const std::string photo = asset("images/imagenet_sample/n01440764_tench.JPEG").string();
  if (!std::filesystem::exists(photo)) GTEST_SKIP() << "asset missing: " << photo;
  r = run("trace " + quote((dir / "m").string()) + " " + quote(photo) + " " + quote(photo) + " --out " +
          quote((dir / "t.safetensors").string()) + " --summary --resolution 56 70");
  ASSERT_EQ(r.code, 0) << r.out;
  const auto t = io::SafetensorsFile::open((dir / "t.safetensors").string());
  const auto* out = t.find("blocks.1.out");
  ASSERT_NE(out, nullptr);
  // 2 images, CLS + 4 registers + 4x5 patches, dim 64.
  EXPECT_EQ(out->shape, (std::vector<int64_t>{2, 1 + 4 + 20, 64}));
  EXPECT_NE(r.out.find("max/med"), std::string::npos) << r.out;
}

TEST(Cli, BadInputGivesOneLineAndExitCode) {
  const auto dir = scratch_dir();
  std::ofstream(dir / "empty.safetensors").close();
  std::ofstream(dir / "text.png") << "not an image";
  std::vector<ErrorCase> cases = {
      {"info " + quote((dir / "missing.pth").string()), 1, "missing.pth"},
      {"info " + quote((dir / "empty.safetensors").string()), 1, "empty.safetensors"},
      {"info " + quote(dir.string()), 1, dir.filename().string()},
      {"bench vit " + quote((dir / "missing").string()) + " --dtype f64", 2, "--dtype"},
      {"trace x --out y", 2, "exactly one"},
      {"frobnicate", 2, "error"},
      {"--threads -3 info x", 2, "threads"},
  };
  if (std::filesystem::exists(asset(kDino))) {
    const std::string m = quote((asset(kDino) / "original" / "model.pth").string());
    cases.push_back({"trace " + m + " " + quote((dir / "text.png").string()) + " --out " +
                         quote((dir / "o.safetensors").string()),
                     1, "text.png"});
    cases.push_back({"trace " + m + " " + quote((dir / "text.png").string()) + " --resolution 30 30 --out o", 2,
                     "--resolution"});
  }
  expect_one_line_errors(cases);
}

}  // namespace
}  // namespace ss::test
