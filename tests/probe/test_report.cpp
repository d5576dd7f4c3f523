// report.json / report.html / PNGs from `inspect`, and inspect on the conformance fixtures' models
// (random weights: no artifacts expected) as a robustness check.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "fix/tt_registers.h"
#include "nn/vit_loader.h"
#include "planted_fixture.h"
#include "probe/inspect.h"
#include "report/heatmap.h"
#include "report/inspect_report.h"

namespace ss::report {
namespace {

using ss::test::planted;

TEST(Report, WritesJsonHtmlAndHeatmaps) {
  const auto& p = planted();
  const auto dir = ss::test::scratch_dir();
  probe::InspectOptions o;
  o.keep_images = 2;
  probe::Variant tt;
  tt.name = "tt_registers";
  tt.extra_tokens = 1;
  const fix::NeuronMap neurons{{p.pm.spec.layer, p.pm.spec.neurons}};
  tt.install = [&](nn::Hooks& h) { fix::install_tt_registers(h, *p.model, neurons, {}); };
  const auto run = probe::inspect_pixels(*p.model, p.pixels.slice(0, 0, 3), o, {probe::Variant{}, tt});
  ReportContext ctx{"planted", "dinov2", {"a.png", "b.png", "c.png"}, {{"neurons", "n.json"}, {"mode", "paper"}}};
  write_inspect_report(dir, run, ctx);

  std::ifstream jf(dir / "report.json");
  const nlohmann::json j = nlohmann::json::parse(jf);
  EXPECT_EQ(j["schema"], "sinkscope.inspect/1");
  EXPECT_EQ(j["detect_layer"], 5);
  EXPECT_EQ(j["first_outlier_layer"], p.pm.spec.layer);
  ASSERT_EQ(j["per_layer"].size(), 6u);
  for (const char* k : {"median_norm", "p98_norm", "max_median_ratio", "outlier_fraction", "cls_attention_to_outliers"})
    EXPECT_TRUE(j["per_layer"][3].contains(k)) << k;
  EXPECT_EQ(j["outlier_positions"][0].get<std::vector<int64_t>>(), p.flat[0]);
  EXPECT_GT(j["per_layer"][5]["max_median_ratio"].get<double>(), 10);
  EXPECT_LT(j["tt_registers"]["per_layer"][5]["max_median_ratio"].get<double>(), 2);
  EXPECT_GT(j["tt_registers"]["per_layer"][5]["register_norm_mean"].get<double>(), 50);
  EXPECT_GT(j["tt_registers"]["feature_change"]["mean_cosine_ordinary"].get<double>(), 0.99);

  std::stringstream html;
  html << std::ifstream(dir / "report.html").rdbuf();
  EXPECT_NE(html.str().find("of patches are high-norm outliers from layer 2 (norm &gt; "), std::string::npos);
  EXPECT_NE(html.str().find("test-time register"), std::string::npos);
  for (const char* f :
       {"images/img1.png", "maps/img1_l5.png", "maps/tt_img1_l5.png", "attn/img0_l3.png", "attn/tt_img0_l3_h0.png"})
    EXPECT_TRUE(std::filesystem::exists(dir / f)) << f;
  EXPECT_FALSE(std::filesystem::exists(dir / "images/img2.png"));  // keep_images = 2
}

TEST(Report, HeatColoursAreOrderedAndClamped) {
  const auto lo = heat_colour(-1), hi = heat_colour(2), mid = heat_colour(0.5);
  EXPECT_EQ(lo, heat_colour(0));
  EXPECT_EQ(hi, heat_colour(1));
  auto lum = [](std::array<uint8_t, 3> c) { return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]; };
  EXPECT_LT(lum(lo), lum(mid));
  EXPECT_LT(lum(mid), lum(hi));
}

// Robustness: the fixtures' tiny random models (DINOv2 original .pth, CLIP HF) on their own inputs
// and on real photos. Random weights have no artifacts: inspect must say so, with finite numbers.
TEST(Report, InspectOnFixtureModelsAndPhotos) {
  SS_REQUIRE_ASSET("fixtures/dinov2_vit_noreg_224/original/model.pth");
  SS_REQUIRE_ASSET("fixtures/clip_vit_hf_224/hf");
  SS_REQUIRE_ASSET("images/imagenet_sample/n01440764_tench.JPEG");
  for (const char* m : {"fixtures/dinov2_vit_noreg_224/original/model.pth", "fixtures/clip_vit_hf_224/hf"}) {
    const nn::VitCheckpoint ck = nn::load_vit_checkpoint(ss::test::asset(m));
    const nn::VisionTransformer model(ck.config, ck.weights);
    const std::vector<std::string> imgs = {ss::test::asset("fixtures/clip_vit_hf_224/input_0.png").string(),
                                           ss::test::asset("images/imagenet_sample/n01440764_tench.JPEG").string(),
                                           ss::test::asset("images/imagenet_sample/n01558993_robin.JPEG").string()};
    probe::InspectOptions o;
    o.batch = 2;
    const auto r = probe::inspect_images(model, imgs, o, {probe::Variant{}}).variants[0];
    EXPECT_EQ(r.images, 3);
    EXPECT_EQ(r.first_layer, -1) << m;
    for (const auto& l : r.layers) {
      EXPECT_TRUE(std::isfinite(l.max_median_ratio)) << m;
      EXPECT_LT(l.max_median_ratio, 3.0) << m;
    }
    EXPECT_NE(probe::verdict(r).find("no distinct"), std::string::npos) << probe::verdict(r);
    write_inspect_report(ss::test::scratch_dir(), {{r}, std::nullopt}, {m, "", imgs, nullptr});
  }
}

}  // namespace
}  // namespace ss::report
