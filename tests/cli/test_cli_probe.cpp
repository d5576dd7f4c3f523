// Diagnostics and test-time registers as a user runs them (issue #4): plant -> inspect -> registers
// find -> inspect/trace with --tt-registers; help, exit codes and one-line errors.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>

#include "cli_runner.h"
#include "common/assets.h"
#include "io/safetensors.h"

namespace ss::test {
namespace {

nlohmann::json read_json(const std::filesystem::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}

TEST(CliProbe, HelpHasAnExample) {
  for (const char* cmd : {"inspect", "registers", "registers find", "registers bench", "plant"}) {
    Result r = run(std::string(cmd) + " --help");
    EXPECT_EQ(r.code, 0) << cmd;
    EXPECT_NE(r.out.find("Example"), std::string::npos) << cmd << ":\n" << r.out;
  }
}

TEST(CliProbe, PlantFindInspectWithTestTimeRegisters) {
  const auto dir = scratch_dir();
  const std::string model = (dir / "planted").string(), imgs = (dir / "planted" / "images").string();
  Result r = run("plant " + quote(std::string(SS_SOURCE_DIR) + "/configs/planted-dinov2.json") + " --out " +
                 quote(model) + " --images 4");
  ASSERT_EQ(r.code, 0) << r.out;
  const auto neurons = (dir / "neurons.json").string();
  r = run("registers find " + quote(model) + " " + quote(imgs) + " --out " + quote(neurons) + " --top-k 3 --batch 3");
  ASSERT_EQ(r.code, 0) << r.out;
  const auto n = read_json(neurons);
  auto planted = n["register_neurons"]["2"].get<std::vector<int>>();
  std::sort(planted.begin(), planted.end());
  EXPECT_EQ(planted, (std::vector<int>{37, 158, 301}));

  const auto rep = dir / "report";
  r = run("inspect " + quote(model) + " " + quote(imgs) + " --out " + quote(rep.string()) + " --tt-registers " +
          quote(neurons) + " --max-images 1");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("high-norm outliers from layer 2"), std::string::npos) << r.out;
  const auto j = read_json(rep / "report.json");
  EXPECT_EQ(j["first_outlier_layer"], 2);
  EXPECT_GT(j["per_layer"][5]["max_median_ratio"].get<double>(), 10);
  EXPECT_LT(j["tt_registers"]["per_layer"][5]["max_median_ratio"].get<double>(), 2);
  EXPECT_TRUE(std::filesystem::exists(rep / "report.html"));
  EXPECT_TRUE(std::filesystem::exists(rep / "maps" / "tt_img0_l5.png"));

  // trace drops the register from its outputs unless asked to keep it.
  const auto img = (dir / "planted" / "images" / "img_000.png").string();
  for (bool keep : {false, true}) {
    const auto out = (dir / (keep ? "keep.safetensors" : "drop.safetensors")).string();
    r = run("trace " + quote(model) + " " + quote(img) + " --out " + quote(out) + " --tt-registers " + quote(neurons) +
            (keep ? " --keep-registers" : ""));
    ASSERT_EQ(r.code, 0) << r.out;
    const auto f = io::SafetensorsFile::open(out);
    EXPECT_EQ(f.find("final_norm")->shape, (std::vector<int64_t>{1, keep ? 258 : 257, 96}));
  }

  // Errors: one line, exit 2 for flags, 1 for bad data.
  r = run("inspect " + quote(model) + " " + quote(imgs) + " --out " + quote(rep.string()) + " --detect-layer 6");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_EQ(count_lines(r.out), 1u) << r.out;
  std::ofstream(dir / "bad.json") << R"({"2": [9999]})";
  r = run("inspect " + quote(model) + " " + quote(imgs) + " --out " + quote(rep.string()) + " --tt-registers " +
          quote((dir / "bad.json").string()));
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_EQ(count_lines(r.out), 1u) << r.out;
  EXPECT_NE(r.out.find("bad.json"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace ss::test
