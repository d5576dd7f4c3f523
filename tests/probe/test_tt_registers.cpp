// Test-time registers on the planted model: Algorithm 1 recovers the planted neurons, Algorithm 2
// moves the artifacts into the register (Jiang et al. 2025; docs/test-time-registers.md).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>

#include "fix/register_neurons.h"
#include "fix/tt_registers.h"
#include "planted_fixture.h"
#include "probe/inspect.h"
#include "util/error.h"

namespace ss::fix {
namespace {

using ss::test::planted;

std::function<at::Tensor(int64_t, int64_t)> loader(const at::Tensor& px) {
  return [px](int64_t i, int64_t n) { return px.slice(0, i, i + n); };
}

TEST(RegisterNeurons, FindRecoversThePlantedNeuronsAsTopRanks) {
  const auto& p = planted();
  FindOptions o;
  o.batch = 4;
  const FindResult r = find_register_neurons(*p.model, 6, loader(p.pixels), o);
  EXPECT_EQ(r.top_layer, p.pm.spec.layer);  // A.4 heuristic: the first outlier layer
  EXPECT_EQ(r.images_with_outliers, 6);
  ASSERT_EQ(r.ranked.size(), 10u);
  // Ranks 1-3 are the planted neurons, in the order of their strength (fire_bias x1, x0.9, x0.8).
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(r.ranked[i].layer, p.pm.spec.layer);
    EXPECT_EQ(r.ranked[i].neuron, p.pm.spec.neurons[i]);
  }
  // A clear gap to the fourth rank.
  EXPECT_GT(r.ranked[2].score, 4 * r.ranked[3].score);
  // Batch size does not change the scores (the official code edits/reads batch element 0 only).
  o.batch = 1;
  const FindResult r1 = find_register_neurons(*p.model, 6, loader(p.pixels), o);
  for (size_t i = 0; i < r.ranked.size(); ++i) {
    EXPECT_EQ(r1.ranked[i].neuron, r.ranked[i].neuron);
    EXPECT_NEAR(r1.ranked[i].score, r.ranked[i].score, 1e-4);
  }
}

TEST(RegisterNeurons, FindRefusesWhenNoImageHasOutliers) {
  const auto& p = planted();
  FindOptions o;
  o.threshold = 1e6;
  o.top_layer = 2;
  EXPECT_THROW(find_register_neurons(*p.model, 6, loader(p.pixels), o), ss::Error);
}

TEST(RegisterNeurons, LoadsWrappedAndBareFiles) {
  const auto dir = ss::test::scratch_dir();
  std::ofstream(dir / "bare.json") << R"({"17": [884, 133], "-1": [5]})";
  const NeuronMap m = load_register_neurons(dir / "bare.json", 24, 4096);
  EXPECT_EQ(m.at(17), (std::vector<int64_t>{884, 133}));
  EXPECT_EQ(m.at(23), (std::vector<int64_t>{5}));
  std::ofstream(dir / "wrapped.json") << R"({"register_neurons": {"2": [37]}, "settings": {}})";
  EXPECT_EQ(load_register_neurons(dir / "wrapped.json", 6, 384).at(2), (std::vector<int64_t>{37}));
  // The official repo's DINOv2-L list (LARGE_REGISTER_NEURONS, vit-artifacts.md §4.2) as a bare object.
  std::ofstream(dir / "dinov2_l.json")
      << R"({"17": [884, 133, 1427, 3464, 2373, 2436, 841, 3574, 2129, 3355, 4047, 3341, 1330, 4031, 844, 944, 464],
             "16": [2301, 3576, 1940, 3463, 1244, 407, 3152, 2517, 3465],
             "15": [1714, 3507, 2492, 2680, 131, 720, 3499, 3062, 2625],
             "14": [2110, 1510, 1082, 2711, 2464, 147, 543, 581], "13": [2400], "12": [3168]})";
  const NeuronMap l = load_register_neurons(dir / "dinov2_l.json", 24, 4096);
  size_t total = 0;
  for (const auto& kv : l) total += kv.second.size();
  EXPECT_EQ(total, 45u);
  EXPECT_EQ(l.at(17).front(), 884);                                                 // rank order kept
  EXPECT_THROW(load_register_neurons(dir / "dinov2_l.json", 12, 3072), ss::Error);  // a ViT-B cannot take it
  std::ofstream(dir / "bad.json") << R"({"2": [384]})";
  try {
    load_register_neurons(dir / "bad.json", 6, 384);
    FAIL();
  } catch (const ss::Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.json"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("384"), std::string::npos);
  }
  std::ofstream(dir / "layer.json") << R"({"x": [1]})";
  EXPECT_THROW(load_register_neurons(dir / "layer.json", 6, 384), ss::Error);
}

probe::Variant tt_variant(const nn::VisionTransformer& m, const NeuronMap& n, TtMode mode) {
  probe::Variant v;
  v.name = "tt";
  v.extra_tokens = 1;
  v.install = [&m, n, mode](nn::Hooks& h) { install_tt_registers(h, m, n, {1, mode}); };
  return v;
}

TEST(TtRegisters, MoveTheArtifactsIntoTheRegister) {
  const auto& p = planted();
  FindOptions fo;
  const NeuronMap neurons = find_register_neurons(*p.model, 6, loader(p.pixels), fo).neurons();
  probe::InspectOptions o;
  o.batch = 4;
  const auto run =
      probe::inspect_pixels(*p.model, p.pixels, o, {probe::Variant{}, tt_variant(*p.model, neurons, TtMode::Paper)});
  const auto& base = run.variants[0];
  const auto& tt = run.variants[1];
  for (size_t l = 0; l < tt.layers.size(); ++l) {
    EXPECT_LT(tt.layers[l].max_median_ratio, 2.0) << "layer " << l;
    EXPECT_EQ(tt.layers[l].outlier_fraction, 0.0) << "layer " << l;
  }
  // The norm appears in the register, from the planted layer on, at the outliers' level.
  const at::Tensor reg = tt.extra_norms.select(2, 0);  // [B, L]
  for (int64_t l = p.pm.spec.layer; l < 6; ++l)
    EXPECT_GT(reg.select(1, l).min().item<double>(), 0.8 * base.layers[static_cast<size_t>(l)].max) << l;
  // ...and takes over as the attention sink of the sink heads.
  EXPECT_GT(tt.cls_to_extra.back()[0], 0.5);
  ASSERT_TRUE(run.change.has_value());
  std::printf("ordinary patches: mean cos %.5f, min cos %.5f, mean rel L2 %.5f\n", run.change->mean_cosine_ordinary,
              run.change->min_cosine_ordinary, run.change->mean_relative_l2_ordinary);
  EXPECT_GT(run.change->mean_cosine_ordinary, 0.99);
  EXPECT_LT(run.change->mean_relative_l2_ordinary, 0.1);
}

TEST(TtRegisters, EveryImageOfABatchIsEditedLikeItWouldBeAlone) {
  const auto& p = planted();
  const NeuronMap neurons{{p.pm.spec.layer, p.pm.spec.neurons}};
  for (TtMode mode : {TtMode::Paper, TtMode::Repo}) {
    nn::Hooks h;
    install_tt_registers(h, *p.model, neurons, {2, mode});
    const at::Tensor all = p.model->forward(p.pixels.slice(0, 0, 3), h).final_norm;
    ASSERT_EQ(all.size(1), 1 + 256 + 2);
    for (int64_t b = 0; b < 3; ++b) {
      const at::Tensor one = p.model->forward(p.pixels.slice(0, b, b + 1), h).final_norm;
      EXPECT_TRUE(at::allclose(all.slice(0, b, b + 1), one, 1e-4, 1e-4)) << "image " << b;
    }
  }
}

TEST(TtRegisters, PaperZeroesClsAndRepoModeLeavesIt) {
  const auto& p = planted();
  const int64_t L = p.pm.spec.layer;
  const NeuronMap neurons{{L, p.pm.spec.neurons}};
  const at::Tensor idx = at::tensor(p.pm.spec.neurons, at::kLong);
  for (TtMode mode : {TtMode::Paper, TtMode::Repo}) {
    nn::Hooks h;
    install_tt_registers(h, *p.model, neurons, {1, mode});
    at::Tensor before, after;
    // Hooks run in the order added: the first sees the original activation, the last the edited one.
    nn::Hooks probe_h;
    probe_h.add("blocks." + std::to_string(L) + ".mlp.act",
                [&](const std::string&, at::Tensor& a) { before = a.clone(); });
    h.add("blocks." + std::to_string(L) + ".mlp.act", [&](const std::string&, at::Tensor& a) { after = a.clone(); });
    nn::Hooks both;
    both.add("**", [&](const std::string& n, at::Tensor& t) { probe_h.visit(n, t); });
    both.add("**", [&](const std::string& n, at::Tensor& t) { h.visit(n, t); });
    p.model->forward(p.pixels.slice(0, 0, 2), both);
    const at::Tensor b = before.index_select(2, idx), a = after.index_select(2, idx);
    const int64_t T = a.size(1);
    EXPECT_EQ(a.slice(1, 1, T - 1).abs().max().item<double>(), 0.0);
    if (mode == TtMode::Paper) {
      EXPECT_EQ(a.select(1, 0).abs().max().item<double>(), 0.0);          // CLS zeroed
      EXPECT_TRUE(at::equal(a.select(1, T - 1), std::get<0>(b.max(1))));  // per-neuron max
    } else {
      EXPECT_TRUE(at::equal(a.select(1, 0), b.select(1, 0)));  // CLS untouched
      const at::Tensor reg = a.select(1, T - 1);               // one value per image
      EXPECT_TRUE(at::equal(reg, reg.select(1, 0).unsqueeze(1).expand_as(reg)));
    }
    // Neurons that are not listed keep their values.
    EXPECT_TRUE(at::equal(before.select(2, 0), after.select(2, 0)));
  }
}

TEST(TtRegisters, StripRemovesTheAppendedTokensByName) {
  const at::Tensor x = at::zeros({2, 10, 4}), probs = at::zeros({2, 3, 10, 10}), q = at::zeros({2, 3, 10, 5});
  EXPECT_EQ(strip_tt_registers("blocks.3.out", x, 2).sizes(), at::IntArrayRef({2, 8, 4}));
  EXPECT_EQ(strip_tt_registers("final_norm", x, 1).sizes(), at::IntArrayRef({2, 9, 4}));
  EXPECT_EQ(strip_tt_registers("blocks.0.attn.probs", probs, 1).sizes(), at::IntArrayRef({2, 3, 9, 9}));
  EXPECT_EQ(strip_tt_registers("blocks.0.attn.k", q, 1).sizes(), at::IntArrayRef({2, 3, 9, 5}));
  EXPECT_EQ(strip_tt_registers("image_embeds", x, 1).sizes(), x.sizes());
  EXPECT_THROW(tt_mode_from_name("official"), ss::UsageError);
}

}  // namespace
}  // namespace ss::fix
