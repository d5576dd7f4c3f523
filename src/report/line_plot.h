// Line plots as PNG files without a plotting library: one coloured line per named series of (x, y)
// points, axes with tick labels, a legend and an optional log-scale y axis (a dense cache's
// perplexity explodes past the trained context; training losses span decades). Text uses a built-in
// 3x5 bitmap font drawn at twice its size: digits, letters (lower case drawn as upper case) and the
// usual punctuation.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace ss::report {

struct PlotSeries {
  std::string name;
  std::vector<double> x, y;  // same length; non-finite points (and y <= 0 on a log axis) break the line
};

struct PlotOptions {
  std::string title, x_label, y_label;
  bool log_y = false;
  int width = 900, height = 520;
};

struct Raster {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;  // rows of width * 3 bytes
};

// The colour of series i (a qualitative palette, repeating after 8).
std::array<uint8_t, 3> plot_colour(size_t i);

// Draws the plot; ss::Error when there is no finite point to draw or the size is unusable.
Raster render_line_plot(const std::vector<PlotSeries>& series, const PlotOptions& o);
void write_line_plot_png(const std::string& path, const std::vector<PlotSeries>& series, const PlotOptions& o);

}  // namespace ss::report
