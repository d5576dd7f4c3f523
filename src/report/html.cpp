#include "report/html.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace ss::report {

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<')
      o += "&lt;";
    else if (c == '>')
      o += "&gt;";
    else if (c == '&')
      o += "&amp;";
    else if (c == '"')
      o += "&quot;";
    else
      o += c;
  }
  return o;
}

std::string fmt(const char* format, double v) {
  char b[64];
  std::snprintf(b, sizeof b, format, v);
  return b;
}

std::string img(const std::string& src, const std::string& title, int w) {
  return "<img src='" + esc(src) + "' width='" + std::to_string(w) + "' title='" + esc(title) + "' loading='lazy'>";
}

std::string page_head(const std::string& title) {
  return "<!doctype html><html><head><meta charset='utf-8'><title>" + esc(title) +
         "</title><style>body{font:14px sans-serif;margin:24px;max-width:1400px;color:#222}"
         "h1{font-size:20px}.verdict{font-size:18px;background:#fdf2e9;border-left:5px solid #c0392b;padding:10px}"
         ".after{background:#eaf2f8;border-left-color:#2471a3}table{border-collapse:collapse}"
         "td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}th{background:#f4f4f4}"
         ".row{display:flex;flex-wrap:wrap;gap:4px;align-items:flex-end}.cell{text-align:center;font-size:11px}"
         "svg text{font-size:10px}.chart,.hist{background:#fafafa;margin:4px}.note{color:#666}</style></head><body>";
}

const char* series_colour(size_t i) {
  static const char* c[] = {"#c0392b", "#2471a3", "#229954", "#d68910", "#7d3c98", "#17a589", "#5d6d7e", "#cb4335"};
  return c[i % 8];
}

std::string svg_line_chart(const std::vector<std::vector<double>>& series, const std::vector<std::string>& names,
                           const std::string& title, double ref_line, size_t x_label_step) {
  const int W = 380, H = 180, l = 40, r = 10, t = 36, b = 24;
  double ymax = ref_line;
  size_t n = 0;
  for (const auto& s : series) {
    n = std::max(n, s.size());
    for (double v : s) ymax = std::max(ymax, v);
  }
  if (ymax <= 0) ymax = 1;
  auto X = [&](size_t i) {
    return l + (n > 1 ? static_cast<double>(i) * (W - l - r) / static_cast<double>(n - 1) : 0.0);
  };
  auto Y = [&](double v) { return t + (H - t - b) * (1 - v / ymax); };
  std::ostringstream o;
  o << "<svg width='" << W << "' height='" << H << "' class='chart'><text x='" << l << "' y='14'>" << esc(title)
    << "</text>";
  o << "<line x1='" << l << "' y1='" << H - b << "' x2='" << W - r << "' y2='" << H - b << "' stroke='#888'/>";
  o << "<text x='2' y='" << t + 8 << "'>" << fmt("%.3g", ymax) << "</text><text x='2' y='" << H - b << "'>0</text>";
  if (ref_line > 0)
    o << "<line x1='" << l << "' x2='" << W - r << "' y1='" << Y(ref_line) << "' y2='" << Y(ref_line)
      << "' stroke='#999' stroke-dasharray='4'/>";
  for (size_t i = 0; i < n; i += std::max<size_t>(x_label_step, 1))
    o << "<text x='" << X(i) - 4 << "' y='" << H - 8 << "'>" << i << "</text>";
  for (size_t s = 0; s < series.size(); ++s) {
    o << "<polyline fill='none' stroke-width='2' stroke='" << series_colour(s) << "' points='";
    for (size_t i = 0; i < series[s].size(); ++i) o << X(i) << "," << Y(series[s][i]) << " ";
    o << "'/>";
    o << "<text x='" << l + 130 * static_cast<int>(s) << "' y='28' fill='" << series_colour(s) << "'>■ "
      << esc(names[s]) << "</text>";
  }
  o << "</svg>";
  return o.str();
}

}  // namespace ss::report
