// The planted model (docs/planted-model.md): its artifacts come from the planted circuit, and inspect
// finds them where the images are flat.
#include <gtest/gtest.h>

#include "planted_fixture.h"
#include "probe/inspect.h"
#include "util/error.h"

namespace ss::probe {
namespace {

using ss::test::planted;

TEST(Planted, InspectFlagsFlatPatchesFromThePlantedLayer) {
  const auto& p = planted();
  InspectOptions o;
  o.batch = 4;  // not a divisor of 6: exercises a partial batch
  const InspectResult r = inspect_pixels(*p.model, p.pixels, o, {Variant{}}).variants[0];
  EXPECT_EQ(r.first_layer, p.pm.spec.layer);
  EXPECT_EQ(r.detect_layer, 5);
  for (size_t b = 0; b < p.flat.size(); ++b) EXPECT_EQ(r.outliers[b], p.flat[b]) << "image " << b;
  for (int64_t l = 0; l < p.pm.spec.layer; ++l) {
    EXPECT_LT(r.layers[static_cast<size_t>(l)].max_median_ratio, 2.5) << "layer " << l;
    EXPECT_EQ(r.layers[static_cast<size_t>(l)].outlier_fraction, 0.0) << "layer " << l;
  }
  for (size_t l = static_cast<size_t>(p.pm.spec.layer); l < r.layers.size(); ++l)
    EXPECT_GT(r.layers[l].max_median_ratio, 10.0) << "layer " << l;
  // The sink heads (0, 1) of the blocks after the planted one give most of CLS's attention to the
  // outliers; the other heads and the blocks up to the planted one do not.
  for (size_t l = 0; l < r.layers.size(); ++l)
    for (int64_t h = 0; h < r.heads; ++h) {
      const double s = r.cls_to_outliers[l][static_cast<size_t>(h)];
      if (static_cast<int64_t>(l) > p.pm.spec.layer && h < 2)
        EXPECT_GT(s, 0.7) << l << "/" << h;
      else
        EXPECT_LT(s, 0.15) << l << "/" << h;
    }
  // Flat patches are redundant with their neighbours (Darcet Fig. 5a).
  EXPECT_GT(r.redundancy_outliers, r.redundancy_others + 0.05);
  const double frac = r.outlier_fraction;
  size_t flat_total = 0;
  for (const auto& f : p.flat) flat_total += f.size();
  EXPECT_DOUBLE_EQ(frac, static_cast<double>(flat_total) / (6.0 * 256.0));
  EXPECT_NE(verdict(r).find("from layer 2"), std::string::npos) << verdict(r);
}

TEST(Planted, StatisticsDoNotDependOnTheBatchSize) {
  const auto& p = planted();
  InspectOptions a, b;
  a.batch = 1;
  b.batch = 6;
  const InspectResult ra = inspect_pixels(*p.model, p.pixels, a, {Variant{}}).variants[0];
  const InspectResult rb = inspect_pixels(*p.model, p.pixels, b, {Variant{}}).variants[0];
  EXPECT_TRUE(at::allclose(ra.patch_norms, rb.patch_norms, 1e-4, 1e-4));
  EXPECT_TRUE(at::allclose(ra.cls_attn, rb.cls_attn, 1e-4, 1e-6));
  EXPECT_NEAR(ra.threshold, rb.threshold, 1e-3);
  EXPECT_EQ(ra.outliers, rb.outliers);
}

TEST(Planted, GeneratorIsDeterministicAndChecksItsConfig) {
  const auto cfg = ss::test::planted_config();
  const auto a = build_planted_model(cfg), b = build_planted_model(cfg);
  for (const auto& kv : a.weights) EXPECT_TRUE(at::equal(kv.second, b.weights.at(kv.first))) << kv.first;
  auto bad = cfg;
  bad["plant"]["layer"] = 5;
  EXPECT_THROW(build_planted_model(bad), ss::Error);
  bad = cfg;
  bad["plant"]["neurons"] = {1000};
  EXPECT_THROW(build_planted_model(bad), ss::Error);
}

}  // namespace
}  // namespace ss::probe
