// `inspect` on a language model and `stream --plot`, as a user runs them.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "cli_runner.h"
#include "common/assets.h"

namespace ss::test {
namespace {

const char* kStories = "models/stories260K/stories260K.bin";
const char* kText = "data/tinystories_val.txt";

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

uint32_t be32(const std::string& s, size_t at) {
  return (static_cast<uint32_t>(static_cast<uint8_t>(s[at])) << 24) |
         (static_cast<uint32_t>(static_cast<uint8_t>(s[at + 1])) << 16) |
         (static_cast<uint32_t>(static_cast<uint8_t>(s[at + 2])) << 8) | static_cast<uint8_t>(s[at + 3]);
}

// A PNG signature, an IHDR of the given size (0 = any) and an IEND at the end.
void expect_png(const std::filesystem::path& p, uint32_t width = 0, uint32_t height = 0) {
  const std::string s = slurp(p);
  ASSERT_GT(s.size(), 57u) << p;
  EXPECT_EQ(s.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8)) << p;
  EXPECT_EQ(s.substr(12, 4), "IHDR") << p;
  if (width) EXPECT_EQ(be32(s, 16), width) << p;
  if (height) EXPECT_EQ(be32(s, 20), height) << p;
  EXPECT_EQ(s.substr(s.size() - 8, 4), "IEND") << p;
}

std::string stories() { return quote(asset(kStories).string()); }

TEST(CliLmInspect, Stories260KWritesJsonHeatmapsAndHtml) {
  SS_REQUIRE_ASSET(kStories);
  SS_REQUIRE_ASSET(kText);
  const auto out = scratch_dir() / "lm";
  Result r = run("inspect " + stories() + " --text " + quote(asset(kText).string()) + " --out " + quote(out.string()));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("Sink_1 = "), std::string::npos) << r.out;
  const auto j = nlohmann::json::parse(slurp(out / "report.json"));
  EXPECT_EQ(j["schema"], "sinkscope.inspect-lm/1");
  EXPECT_EQ(j["probe"]["kind"], "natural");
  EXPECT_EQ(j["probe"]["seq_len"], 64);
  EXPECT_EQ(j["probe"]["sequences"], 100);
  EXPECT_TRUE(j["probe"]["bos"].get<bool>());  // llama2.c tokenizers start with BOS
  EXPECT_EQ(j["probe"]["hash"].get<std::string>().rfind("fnv1a64:", 0), 0u);
  EXPECT_EQ(j["attention"], "softmax");
  EXPECT_EQ(j["dtype"], "f32");
  EXPECT_EQ(j["sink"]["epsilon"], 0.3);
  EXPECT_EQ(j["sink"]["by_k"].size(), 64u);
  EXPECT_EQ(j["alpha"]["k1"].size(), 5u);     // layers
  EXPECT_EQ(j["alpha"]["k1"][0].size(), 8u);  // heads
  EXPECT_EQ(j["hidden_norm"].size(), 6u);     // tokens_in + 5 blocks
  EXPECT_EQ(j["hidden_norm"][0].size(), 64u);
  EXPECT_EQ(j["k_norm"].size(), 5u);
  EXPECT_EQ(j["massive"]["top3"].size(), 5u);
  EXPECT_FALSE(j.contains("gate"));
  EXPECT_LT(j["sink"]["k1"].get<double>(), 0.01);  // stories260K has no sink (docs/inspect.md)
  EXPECT_LT(j["f_attn"]["mean"].get<double>(), 0.1);
  expect_png(out / "heatmaps" / "alpha1.png", 8 * 24, 5 * 24);
  expect_png(out / "heatmaps" / "f_attn.png", 8 * 24, 5 * 24);
  expect_png(out / "heatmaps" / "hidden_norm.png", 64 * 10, 6 * 10);
  const std::string html = slurp(out / "report.html");
  EXPECT_NE(html.find("heatmaps/alpha1.png"), std::string::npos);
  EXPECT_NE(html.find("</html>"), std::string::npos);

  // Same seed, same random probe set; another seed, another set.
  const auto a = scratch_dir() / "a";
  ASSERT_EQ(run("inspect " + stories() + " --probe random --seed 3 --num-seqs 8 --seq-len 16 --out " + quote(a.string())).code, 0);
  const auto ja = nlohmann::json::parse(slurp(a / "report.json"));
  EXPECT_EQ(ja["probe"]["seq_len"], 16);
  ASSERT_EQ(run("inspect " + stories() + " --probe random --seed 3 --num-seqs 8 --seq-len 16 --no-bos --out " +
                quote(a.string())).code, 0);
  const auto jb = nlohmann::json::parse(slurp(a / "report.json"));
  EXPECT_FALSE(jb["probe"]["bos"].get<bool>());
  EXPECT_NE(ja["probe"]["hash"], jb["probe"]["hash"]);
}

TEST(CliLmInspect, BadInputGivesOneLineErrors) {
  SS_REQUIRE_ASSET(kStories);
  const std::string text = quote(asset(kText).string()), out = " --out " + quote((scratch_dir() / "x").string());
  expect_one_line_errors({
      {"inspect " + stories() + out, 2, "--text"},
      {"inspect " + stories() + " --text " + text + " --seq-len 0" + out, 2, "--seq-len"},
      {"inspect " + stories() + " --text " + text + " --num-seqs 0" + out, 2, "--num-seqs"},
      {"inspect " + stories() + " --text " + text + " --epsilon 1.5" + out, 2, "--epsilon"},
      {"inspect " + stories() + " --probe natrual" + out, 2, "--probe"},
      {"inspect " + stories() + " --text /no/such/file.txt" + out, 1, "/no/such/file.txt"},
      {"inspect " + stories() + " --text " + text + " --num-seqs 100000" + out, 1, "chunks"},
      {"inspect " + stories() + " --text " + text + " --detect-layer 2" + out, 2, "--detect-layer"},
      {"inspect " + stories() + " --probe random --text " + text + out, 2, "--text"},
      {"inspect " + stories() + " --probe repeat --seq-len 1" + out, 2, "--seq-len"},
  });
}

TEST(CliLmInspect, StreamPlotWritesAPng) {
  SS_REQUIRE_ASSET(kStories);
  SS_REQUIRE_ASSET(kText);
  const auto png = scratch_dir() / "ppl.png";
  Result r = run("stream " + stories() + " --text " + quote(asset(kText).string()) +
                 " --max-tokens 400 --ppl-window 50 --cache sink:4+60,window:64 --plot " + quote(png.string()));
  ASSERT_EQ(r.code, 0) << r.out;
  expect_png(png, 900, 520);
  expect_one_line_errors({{"stream " + stories() + " --text " + quote(asset(kText).string()) +
                               " --plot x.png --plot-scale cubic",
                           2, "--plot-scale"}});
}

}  // namespace
}  // namespace ss::test
