#include "report/line_plot.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>

#include "image/png_writer.h"
#include "util/error.h"

namespace ss::report {

namespace {

using Rgb = std::array<uint8_t, 3>;

// 3x5 glyphs, one octal digit per row from the top: 4 = left pixel, 2 = middle, 1 = right.
const char* glyph(char c) {
  struct G {
    char c;
    const char* rows;
  };
  static const G table[] = {
      {'0', "75557"}, {'1', "26227"}, {'2', "71747"}, {'3', "71717"}, {'4', "55711"}, {'5', "74717"},
      {'6', "74757"}, {'7', "71111"}, {'8', "75757"}, {'9', "75717"}, {'A', "25755"}, {'B', "65656"},
      {'C', "34443"}, {'D', "65556"}, {'E', "74647"}, {'F', "74644"}, {'G', "34553"}, {'H', "55755"},
      {'I', "72227"}, {'J', "11152"}, {'K', "55655"}, {'L', "44447"}, {'M', "57755"}, {'N', "75555"},
      {'O', "25552"}, {'P', "65644"}, {'Q', "25563"}, {'R', "65655"}, {'S', "34216"}, {'T', "72222"},
      {'U', "55557"}, {'V', "55552"}, {'W', "55775"}, {'X', "55255"}, {'Y', "55222"}, {'Z', "71247"},
      {' ', "00000"}, {'.', "00002"}, {',', "00024"}, {'-', "00700"}, {'+', "02720"}, {':', "02020"},
      {';', "02024"}, {'(', "24442"}, {')', "42224"}, {'[', "64446"}, {']', "31113"}, {'/', "11244"},
      {'=', "07070"}, {'%', "51245"}, {'_', "00007"}, {'*', "05250"}, {'<', "12421"}, {'>', "42124"},
      {'|', "22222"}, {'\'', "22000"}, {'"', "55000"}, {'!', "22202"}, {'#', "57575"}, {'^', "25000"},
      {'?', "71202"}};
  const char u = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const auto& g : table)
    if (g.c == u) return g.rows;
  return "71202";  // '?'
}

constexpr int kScale = 2, kAdvance = 4 * kScale, kGlyphH = 5 * kScale;

struct Canvas {
  Raster r;
  Canvas(int w, int h) {
    r.width = w, r.height = h;
    r.rgb.assign(static_cast<size_t>(w) * h * 3, 255);
  }
  void set(int x, int y, Rgb c) {
    if (x < 0 || y < 0 || x >= r.width || y >= r.height) return;
    std::copy(c.begin(), c.end(), r.rgb.begin() + (static_cast<ptrdiff_t>(y) * r.width + x) * 3);
  }
  void rect(int x0, int y0, int x1, int y1, Rgb c) {  // filled, inclusive
    for (int y = y0; y <= y1; ++y)
      for (int x = x0; x <= x1; ++x) set(x, y, c);
  }
  // Bresenham with a 2x2 pen: lines stay visible after the PNG is scaled down in a page.
  void line(int x0, int y0, int x1, int y1, Rgb c, int pen = 2) {
    const int dx = std::abs(x1 - x0), dy = -std::abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    int err = dx + dy;
    for (;;) {
      rect(x0, y0, x0 + pen - 1, y0 + pen - 1, c);
      if (x0 == x1 && y0 == y1) return;
      const int e2 = 2 * err;
      if (e2 >= dy) err += dy, x0 += sx;
      if (e2 <= dx) err += dx, y0 += sy;
    }
  }
  void text(int x, int y, const std::string& s, Rgb c) {  // (x, y) = top left
    for (size_t i = 0; i < s.size(); ++i) {
      const char* rows = glyph(s[i]);
      for (int row = 0; row < 5; ++row)
        for (int col = 0; col < 3; ++col)
          if ((rows[row] - '0') & (4 >> col))
            rect(x + static_cast<int>(i) * kAdvance + col * kScale, y + row * kScale,
                 x + static_cast<int>(i) * kAdvance + col * kScale + kScale - 1, y + row * kScale + kScale - 1, c);
    }
  }
};

int text_width(const std::string& s) { return static_cast<int>(s.size()) * kAdvance - kScale; }

std::string label(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.4g", std::abs(v) < 1e-12 ? 0.0 : v);
  return b;
}

// About `target` round tick values (1, 2 or 5 times a power of ten apart) covering [lo, hi].
std::vector<double> nice_ticks(double lo, double hi, int target) {
  const double raw = (hi - lo) / target, mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double step = mag * (raw / mag < 1.5 ? 1 : raw / mag < 3.5 ? 2 : raw / mag < 7.5 ? 5 : 10);
  std::vector<double> t;
  for (double v = std::ceil(lo / step - 1e-9) * step; v <= hi + 1e-9 * step; v += step) t.push_back(v);
  return t;
}

}  // namespace

std::array<uint8_t, 3> plot_colour(size_t i) {
  static const Rgb c[] = {{31, 119, 180}, {214, 39, 40}, {44, 160, 44},   {255, 127, 14},
                          {148, 103, 189}, {140, 86, 75}, {227, 119, 194}, {127, 127, 127}};
  return c[i % 8];
}

Raster render_line_plot(const std::vector<PlotSeries>& series, const PlotOptions& o) {
  if (o.width < 200 || o.height < 150) throw Error("line plot: size must be at least 200 x 150");
  // Data range; y in log10 units on a log axis.
  auto ty = [&](double y) { return o.log_y ? (y > 0 ? std::log10(y) : NAN) : y; };
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  for (const auto& s : series) {
    if (s.x.size() != s.y.size()) throw Error("line plot: series '" + s.name + "' has x and y of different lengths");
    for (size_t i = 0; i < s.x.size(); ++i)
      if (std::isfinite(s.x[i]) && std::isfinite(ty(s.y[i]))) {
        x0 = std::min(x0, s.x[i]), x1 = std::max(x1, s.x[i]);
        y0 = std::min(y0, ty(s.y[i])), y1 = std::max(y1, ty(s.y[i]));
      }
  }
  if (!(x0 <= x1)) throw Error("line plot: no finite point to draw");
  if (x1 == x0) x0 -= 0.5, x1 += 0.5;
  if (y1 == y0) y0 -= 0.5, y1 += 0.5;
  const double pad = 0.05 * (y1 - y0);
  y0 -= pad, y1 += pad;

  // Ticks; a log axis gets its powers of ten, or 1-2-5 values when it spans less than two decades.
  std::vector<double> yt;  // in axis units
  if (o.log_y) {
    for (double e = std::ceil(y0); e <= y1; ++e) yt.push_back(e);
    if (yt.size() < 3) {
      yt.clear();
      for (double v : nice_ticks(std::pow(10.0, y0), std::pow(10.0, y1), 6))
        if (v > 0) yt.push_back(std::log10(v));
    }
  } else {
    yt = nice_ticks(y0, y1, 6);
  }
  const std::vector<double> xt = nice_ticks(x0, x1, 8);
  auto ylabel = [&](double v) { return label(o.log_y ? std::pow(10.0, v) : v); };

  int left = 0;
  for (double v : yt) left = std::max(left, text_width(ylabel(v)));
  left += 20;
  const int top = 44, right = 24, bottom = 52;
  const int pw = o.width - left - right, ph = o.height - top - bottom;
  auto X = [&](double x) { return left + static_cast<int>(std::lround((x - x0) / (x1 - x0) * (pw - 1))); };
  auto Y = [&](double y) { return top + static_cast<int>(std::lround((y1 - y) / (y1 - y0) * (ph - 1))); };

  Canvas c(o.width, o.height);
  const Rgb ink{40, 40, 40}, grid{225, 225, 225};
  for (double v : yt) {
    c.line(left, Y(v), left + pw - 1, Y(v), grid, 1);
    const std::string s = ylabel(v);
    c.text(left - 8 - text_width(s), Y(v) - kGlyphH / 2, s, ink);
  }
  for (double v : xt) {
    c.line(X(v), top, X(v), top + ph - 1, grid, 1);
    const std::string s = label(v);
    c.text(X(v) - text_width(s) / 2, top + ph + 8, s, ink);
  }
  c.line(left, top, left, top + ph - 1, ink, 1);
  c.line(left, top + ph - 1, left + pw - 1, top + ph - 1, ink, 1);
  c.text((o.width - text_width(o.title)) / 2, 8, o.title, ink);
  c.text(8, top - kGlyphH - 8, o.y_label + (o.log_y ? " (log scale)" : ""), ink);
  c.text(left + (pw - text_width(o.x_label)) / 2, o.height - kGlyphH - 8, o.x_label, ink);

  for (size_t s = 0; s < series.size(); ++s) {
    bool have = false;
    int px = 0, py = 0;
    for (size_t i = 0; i < series[s].x.size(); ++i) {
      const double y = ty(series[s].y[i]);
      if (!std::isfinite(series[s].x[i]) || !std::isfinite(y)) {
        have = false;
        continue;
      }
      const int qx = X(series[s].x[i]), qy = Y(y);
      if (have)
        c.line(px, py, qx, qy, plot_colour(s));
      else
        c.rect(qx - 1, qy - 1, qx + 1, qy + 1, plot_colour(s));  // a lone point stays visible
      have = true, px = qx, py = qy;
    }
  }
  // Legend, top right inside the plot, on white.
  int lw = 0;
  for (const auto& s : series) lw = std::max(lw, text_width(s.name));
  const int bx1 = left + pw - 10, bx0 = bx1 - lw - 44, by0 = top + 10;
  const int by1 = by0 + 10 + static_cast<int>(series.size()) * (kGlyphH + 8);
  c.rect(bx0, by0, bx1, by1, {255, 255, 255});
  c.line(bx0, by0, bx1, by0, ink, 1), c.line(bx0, by1, bx1, by1, ink, 1);
  c.line(bx0, by0, bx0, by1, ink, 1), c.line(bx1, by0, bx1, by1, ink, 1);
  for (size_t s = 0; s < series.size(); ++s) {
    const int y = by0 + 8 + static_cast<int>(s) * (kGlyphH + 8);
    c.line(bx0 + 8, y + kGlyphH / 2, bx0 + 28, y + kGlyphH / 2, plot_colour(s));
    c.text(bx0 + 36, y, series[s].name, ink);
  }
  return c.r;
}

void write_line_plot_png(const std::string& path, const std::vector<PlotSeries>& series, const PlotOptions& o) {
  const Raster r = render_line_plot(series, o);
  image::write_png(path, r.width, r.height, 3, r.rgb.data());
}

}  // namespace ss::report
