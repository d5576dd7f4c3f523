// The PNG line plot of `stream --plot` (and later training curves): every series is drawn in its
// colour, where its values say, on linear and log axes.
#include <gtest/gtest.h>

#include <cmath>

#include "report/line_plot.h"
#include "util/error.h"

namespace ss::report {
namespace {

int64_t count_colour(const Raster& r, std::array<uint8_t, 3> c, int x0 = 0, int x1 = -1) {
  if (x1 < 0) x1 = r.width;
  int64_t n = 0;
  for (int y = 0; y < r.height; ++y)
    for (int x = x0; x < x1; ++x) {
      const uint8_t* p = &r.rgb[(static_cast<size_t>(y) * r.width + x) * 3];
      n += p[0] == c[0] && p[1] == c[1] && p[2] == c[2];
    }
  return n;
}

// Mean row of the pixels of colour c in columns [x0, x1): where the line is drawn.
double mean_row(const Raster& r, std::array<uint8_t, 3> c, int x0, int x1) {
  double s = 0, n = 0;
  for (int y = 0; y < r.height; ++y)
    for (int x = x0; x < x1; ++x) {
      const uint8_t* p = &r.rgb[(static_cast<size_t>(y) * r.width + x) * 3];
      if (p[0] == c[0] && p[1] == c[1] && p[2] == c[2]) s += y, n += 1;
    }
  return n > 0 ? s / n : NAN;
}

TEST(LinePlot, DrawsEachSeriesWhereItsValuesAre) {
  PlotSeries flat{"flat", {0, 100, 200, 300}, {5, 5, 5, 5}};
  PlotSeries rising{"rising", {0, 100, 200, 300}, {1, 10, 100, 1000}};
  PlotOptions o;
  o.title = "test";
  const Raster lin = render_line_plot({flat, rising}, o);
  ASSERT_EQ(lin.width, 900);
  ASSERT_EQ(lin.height, 520);
  EXPECT_GT(count_colour(lin, plot_colour(0)), 500);
  EXPECT_GT(count_colour(lin, plot_colour(1)), 500);
  // Left part of the plot (legend is top right): on a linear axis 5 and 1 sit near the bottom.
  const double flat_row = mean_row(lin, plot_colour(0), 150, 400);
  EXPECT_GT(flat_row, 400);
  // On a log axis 5 is about a quarter of the way up from 1 to 1000.
  o.log_y = true;
  const Raster log = render_line_plot({flat, rising}, o);
  const double log_row = mean_row(log, plot_colour(0), 150, 400);
  EXPECT_LT(log_row, flat_row - 60);
  // The rising series climbs: further right is higher (smaller row) on the log axis.
  EXPECT_LT(mean_row(log, plot_colour(1), 600, 640), mean_row(log, plot_colour(1), 150, 190));
}

TEST(LinePlot, SkipsNonFiniteAndNonPositiveOnLogAndRejectsEmpty) {
  PlotOptions o;
  o.log_y = true;
  PlotSeries s{"ppl", {0, 1, 2, 3}, {2, NAN, -1, 4}};
  EXPECT_NO_THROW(render_line_plot({s}, o));
  EXPECT_THROW(render_line_plot({PlotSeries{"none", {0}, {-1}}}, o), Error);
  EXPECT_THROW(render_line_plot({PlotSeries{"bad", {0, 1}, {1}}}, PlotOptions{}), Error);
  o.width = 10;
  EXPECT_THROW(render_line_plot({s}, o), Error);
}

}  // namespace
}  // namespace ss::report
