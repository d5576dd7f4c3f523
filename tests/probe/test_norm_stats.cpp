// Norm statistics, thresholds and localisation on inputs with known answers.
#include <gtest/gtest.h>

#include "probe/norm_stats.h"
#include "util/error.h"

namespace ss::probe {
namespace {

TEST(NormStats, KnownDistribution) {
  // 98 ones and two outliers of 10: median 1, max/median 10, 2% above a threshold of 5.
  at::Tensor n = at::ones({2, 50});
  n[0][7] = 10;
  n[1][3] = 10;
  const LayerNormStats s = layer_norm_stats(n, 5.0, 10);
  EXPECT_DOUBLE_EQ(s.median, 1.0);
  EXPECT_DOUBLE_EQ(s.max, 10.0);
  EXPECT_DOUBLE_EQ(s.max_median_ratio, 10.0);
  EXPECT_DOUBLE_EQ(s.outlier_fraction, 0.02);
  EXPECT_NEAR(s.mean, 1.18, 1e-12);
  EXPECT_EQ(s.hist.size(), 10u);
  EXPECT_EQ(s.hist[0] + s.hist[1], 98);
  EXPECT_EQ(s.hist[9], 2);
  // mean + 3 std (population std, as numpy's default in the official heuristic)
  EXPECT_NEAR(default_threshold(n), 1.18 + 3 * std::sqrt(0.02 * 0.98 * 81), 1e-9);
}

TEST(NormStats, FirstSeparatingLayer) {
  EXPECT_EQ(first_separating_layer({1.0, 1.1, 8.0, 9.0, 10.0}, 4), 2);
  EXPECT_EQ(first_separating_layer({1.0, 3.0, 4.0, 12.0, 12.0}, 4), 3);  // needs half of 12
  EXPECT_EQ(first_separating_layer({1.0, 1.2, 1.1}, 2), -1);
  EXPECT_EQ(first_separating_layer({0.0, 0.0}, 1), -1);
}

TEST(NormStats, NeighbourRedundancy) {
  // A 3x3 grid: a constant embedding everywhere except the centre, which is orthogonal.
  at::Tensor e = at::zeros({1, 9, 2});
  e.select(2, 0).fill_(1);
  e[0][4] = at::tensor({0.0f, 1.0f});
  const at::Tensor r = neighbour_redundancy(e, 3, 3);
  EXPECT_NEAR(r[0][0][0].item<double>(), 1.0, 1e-6);        // corner: 2 neighbours, both equal
  EXPECT_NEAR(r[0][0][1].item<double>(), 2.0 / 3.0, 1e-6);  // edge: 3 neighbours, one orthogonal
  EXPECT_NEAR(r[0][1][1].item<double>(), 0.0, 1e-6);        // centre
}

TEST(NormStats, ResolveLayer) {
  EXPECT_EQ(resolve_layer(-1, 24, "--x"), 23);
  EXPECT_EQ(resolve_layer(-2, 24, "--x"), 22);
  EXPECT_EQ(resolve_layer(0, 24, "--x"), 0);
  EXPECT_THROW(resolve_layer(24, 24, "--x"), ss::UsageError);
  EXPECT_THROW(resolve_layer(-25, 24, "--x"), ss::UsageError);
}

}  // namespace
}  // namespace ss::probe
