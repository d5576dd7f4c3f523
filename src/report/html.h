// Building blocks of the self-contained HTML reports (`inspect` for ViTs and LMs): escaping, number
// formatting, the shared page head and style, and inline-SVG line charts.
#pragma once

#include <string>
#include <vector>

namespace ss::report {

std::string esc(const std::string& s);         // HTML-escapes < > & "
std::string fmt(const char* format, double v);  // printf of one number

// <img> of a file beside the report, `w` pixels wide, with a hover title.
std::string img(const std::string& src, const std::string& title, int w = 112);

// "<!doctype html>..." up to and including <body>: the page title and the style every report shares.
std::string page_head(const std::string& title);

// Series colours, in order (red, blue, then the rest of a qualitative palette).
const char* series_colour(size_t i);

// A line chart (inline SVG) of one value per index for each series, y from 0 to the largest value
// (or `ref_line`, drawn dashed when > 0). x labels every `x_label_step` indices.
std::string svg_line_chart(const std::vector<std::vector<double>>& series, const std::vector<std::string>& names,
                           const std::string& title, double ref_line = 0, size_t x_label_step = 1);

}  // namespace ss::report
