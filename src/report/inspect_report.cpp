#include "report/inspect_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "report/heatmap.h"
#include "report/html.h"
#include "util/error.h"

namespace ss::report {

namespace fs = std::filesystem;

namespace {

double head_mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0.0 : s / static_cast<double>(v.size());
}

// Variant colours: the original red, the fixed model blue (as in the SVG charts).
const char* kColours[2] = {series_colour(0), series_colour(1)};

// A histogram with log(1 + count) bar heights, so a 2% outlier mode stays visible.
std::string histogram_svg(const probe::LayerNormStats& s, double threshold, const char* colour) {
  const int W = 200, H = 80, b = 14;
  double cmax = 0;
  for (auto c : s.hist) cmax = std::max(cmax, std::log1p(static_cast<double>(c)));
  if (cmax <= 0) cmax = 1;
  const double bw = static_cast<double>(W) / static_cast<double>(std::max<size_t>(s.hist.size(), 1));
  std::ostringstream o;
  o << "<svg width='" << W << "' height='" << H << "' class='hist'>";
  for (size_t i = 0; i < s.hist.size(); ++i) {
    const double h = (H - b) * std::log1p(static_cast<double>(s.hist[i])) / cmax;
    o << "<rect x='" << static_cast<double>(i) * bw << "' y='" << H - b - h << "' width='" << std::max(bw - 1, 1.0)
      << "' height='" << h << "' fill='" << colour << "'/>";
  }
  if (threshold > 0 && threshold < s.hist_max) {
    const double x = W * threshold / s.hist_max;
    o << "<line x1='" << x << "' x2='" << x << "' y1='0' y2='" << H - b << "' stroke='#333' stroke-dasharray='3'/>";
  }
  o << "<text x='0' y='" << H - 2 << "'>0</text><text x='" << W - 44 << "' y='" << H - 2 << "'>"
    << fmt("%.1f", s.hist_max) << "</text></svg>";
  return o.str();
}

struct Pictures {
  // per variant, per kept image, per layer: file names relative to the report
  std::vector<std::vector<std::vector<std::string>>> norm, attn;
  std::vector<std::vector<std::vector<std::string>>> heads;  // per variant, image, head at the sink layer
  std::vector<std::string> inputs;
  int64_t sink_layer = -1;
};

Pictures write_pictures(const fs::path& out, const probe::InspectRun& run) {
  Pictures pics;
  const auto& base = run.variants[0];
  if (!base.pictures.defined()) return pics;
  fs::create_directories(out / "images");
  fs::create_directories(out / "maps");
  fs::create_directories(out / "attn");
  const int64_t K = std::min<int64_t>(base.pictures.size(0), base.images);
  const int64_t gh = base.layout.grid_h, gw = base.layout.grid_w;
  // Overlays are thumbnails (<= 128 px a side): enough to see a patch, small enough for many layers.
  const int64_t factor = std::max<int64_t>(1, (std::max(base.pictures.size(2), base.pictures.size(3)) + 127) / 128);
  const at::Tensor thumbs =
      at::avg_pool2d(base.pictures.slice(0, 0, K).to(at::kFloat), factor, factor).round().clamp(0, 255).to(at::kByte);
  for (int64_t i = 0; i < K; ++i) {
    const std::string name = "images/img" + std::to_string(i) + ".png";
    write_picture_png((out / name).string(), base.pictures[i]);
    pics.inputs.push_back(name);
  }
  // One colour scale per layer, shared by the variants, so before/after compare directly.
  std::vector<double> scale(static_cast<size_t>(base.depth), 0.0);
  for (const auto& v : run.variants)
    for (int64_t l = 0; l < base.depth; ++l)
      scale[static_cast<size_t>(l)] =
          std::max(scale[static_cast<size_t>(l)], v.patch_norms.slice(0, 0, K).select(1, l).max().item<double>());
  pics.sink_layer = base.first_layer >= 0 ? std::min(base.first_layer + 1, base.depth - 1) : base.detect_layer;
  for (size_t v = 0; v < run.variants.size(); ++v) {
    const auto& r = run.variants[v];
    const std::string tag = v == 0 ? "" : "tt_";
    pics.norm.emplace_back();
    pics.attn.emplace_back();
    pics.heads.emplace_back();
    for (int64_t i = 0; i < K; ++i) {
      const at::Tensor picture = thumbs[i];
      std::vector<std::string> nrow, arow, hrow;
      for (int64_t l = 0; l < r.depth; ++l) {
        const std::string stem = tag + "img" + std::to_string(i) + "_l" + std::to_string(l) + ".png";
        write_heatmap_png((out / "maps" / stem).string(), r.patch_norms[i][l].view({gh, gw}), 0.0,
                          scale[static_cast<size_t>(l)], picture);
        nrow.push_back("maps/" + stem);
        if (r.cls_attn.defined()) {
          const at::Tensor a = r.cls_attn[i][l].mean(0).view({gh, gw});
          write_heatmap_png((out / "attn" / stem).string(), a, 0.0, a.max().item<double>(), picture);
          arow.push_back("attn/" + stem);
        }
      }
      if (r.cls_attn.defined())
        for (int64_t h = 0; h < r.heads; ++h) {
          const std::string stem = tag + "img" + std::to_string(i) + "_l" + std::to_string(pics.sink_layer) + "_h" +
                                   std::to_string(h) + ".png";
          const at::Tensor a = r.cls_attn[i][pics.sink_layer][h].view({gh, gw});
          write_heatmap_png((out / "attn" / stem).string(), a, 0.0, a.max().item<double>(), picture);
          hrow.push_back("attn/" + stem);
        }
      pics.norm.back().push_back(nrow);
      pics.attn.back().push_back(arow);
      pics.heads.back().push_back(hrow);
    }
  }
  return pics;
}

std::string html_page(const probe::InspectRun& run, const ReportContext& ctx, const Pictures& pics) {
  const auto& base = run.variants[0];
  const bool two = run.variants.size() > 1;
  std::vector<std::string> names;
  for (const auto& v : run.variants) names.push_back(v.name == "baseline" ? "original" : "test-time register");
  std::ostringstream o;
  o << page_head("sinkscope inspect: " + ctx.model);
  o << "<h1>sinkscope inspect</h1><p>model <b>" << esc(ctx.model) << "</b> (" << esc(ctx.family) << "), " << base.images
    << " image(s), " << base.depth << " blocks, " << base.heads << " heads, patch grid " << base.layout.grid_h << "×"
    << base.layout.grid_w << ". Norms are L2 norms of the residual stream "
    << "<i>before</i> the final LayerNorm (which hides the outliers). Outliers: patch norm &gt; "
    << fmt("%.2f", base.threshold) << " (" << (base.threshold_given ? "--norm-threshold" : "mean + 3·std")
    << ") at layer " << base.detect_layer << ".</p>";
  o << "<p class='verdict'>" << esc(probe::verdict(base)) << "</p>";
  if (two) {
    const auto& tt = run.variants[1];
    const auto& d = tt.layers[static_cast<size_t>(tt.detect_layer)];
    o << "<p class='verdict after'>With test-time registers (" << esc(ctx.fix.value("neurons", std::string())) << ", "
      << esc(ctx.fix.value("mode", std::string())) << " mode, " << tt.layout.extra
      << " register(s)): " << fmt("%.1f", 100 * tt.outlier_fraction)
      << "% of patches above the same threshold; max/median patch norm " << fmt("%.2f", d.max_median_ratio)
      << " at layer " << tt.detect_layer << "; register norm "
      << fmt("%.1f", tt.extra_norms.select(1, tt.detect_layer).mean().item<double>());
    if (run.change)
      o << "; ordinary patches' final features: mean cosine " << fmt("%.4f", run.change->mean_cosine_ordinary)
        << " (min " << fmt("%.4f", run.change->min_cosine_ordinary) << ") to the original";
    o << ".</p>";
    if (ctx.fix.contains("register_neurons")) {
      o << "<p class='note'>Register neurons moved into the register (layer: neurons, rank order): ";
      for (const auto& kv : ctx.fix["register_neurons"].items())
        o << "<b>" << esc(kv.key()) << "</b>: " << esc(kv.value().dump()) << " ";
      o << "</p>";
    }
  }
  // Curves across depth.
  std::vector<std::vector<double>> ratio, frac, cls;
  for (const auto& v : run.variants) {
    ratio.emplace_back();
    frac.emplace_back();
    cls.emplace_back();
    for (int64_t l = 0; l < v.depth; ++l) {
      ratio.back().push_back(v.layers[static_cast<size_t>(l)].max_median_ratio);
      frac.back().push_back(100 * v.layers[static_cast<size_t>(l)].outlier_fraction);
      if (!v.cls_to_outliers.empty()) cls.back().push_back(100 * head_mean(v.cls_to_outliers[static_cast<size_t>(l)]));
    }
  }
  o << "<h2>Across depth</h2><div class='row'>" << svg_line_chart(ratio, names, "max / median patch norm (dashed: 2)", 2)
    << svg_line_chart(frac, names, "% patches above threshold");
  if (!cls.front().empty()) o << svg_line_chart(cls, names, "% of CLS attention on outliers (head mean)");
  o << "</div>";
  // Table.
  o << "<h2>Per layer</h2><table><tr><th>layer</th>";
  for (const auto& n : names)
    o << "<th>median " << esc(n) << "</th><th>p98</th><th>max</th><th>max/median</th><th>% outliers</th>"
      << "<th>outlier/other</th><th>CLS→outliers</th>";
  if (two) o << "<th>register norm</th><th>CLS→register</th>";
  o << "</tr>";
  for (int64_t l = 0; l < base.depth; ++l) {
    o << "<tr><td>" << l << (l == base.first_layer ? " ◀ first" : "") << (l == base.detect_layer ? " (detect)" : "")
      << "</td>";
    for (const auto& v : run.variants) {
      const auto& s = v.layers[static_cast<size_t>(l)];
      o << "<td>" << fmt("%.2f", s.median) << "</td><td>" << fmt("%.2f", s.p98) << "</td><td>" << fmt("%.2f", s.max)
        << "</td><td>" << fmt("%.2f", s.max_median_ratio) << "</td><td>" << fmt("%.2f", 100 * s.outlier_fraction)
        << "</td><td>" << fmt("%.2f", s.outlier_separation) << "</td><td>"
        << (v.cls_to_outliers.empty() ? "" : fmt("%.1f%%", 100 * head_mean(v.cls_to_outliers[static_cast<size_t>(l)])))
        << "</td>";
    }
    if (two) {
      const auto& tt = run.variants[1];
      o << "<td>" << fmt("%.2f", tt.extra_norms.select(1, l).mean().item<double>()) << "</td><td>"
        << (tt.cls_to_extra.empty() ? "" : fmt("%.1f%%", 100 * head_mean(tt.cls_to_extra[static_cast<size_t>(l)])))
        << "</td>";
    }
    o << "</tr>";
  }
  o << "</table><p class='note'>outlier/other: median norm of the layer-" << base.detect_layer
    << " outliers over the median of the other patches, in each layer. CLS→outliers: attention mass from CLS, mean "
       "over heads and over images with outliers; per-head values in report.json.</p>";
  // Histograms.
  o << "<h2>Norm histograms (log counts; dashed: threshold)</h2><table><tr><th>layer</th>";
  for (const auto& n : names) o << "<th>" << esc(n) << "</th>";
  o << "</tr>";
  for (int64_t l = 0; l < base.depth; ++l) {
    o << "<tr><td>" << l << "</td>";
    for (size_t v = 0; v < run.variants.size(); ++v)
      o << "<td>" << histogram_svg(run.variants[v].layers[static_cast<size_t>(l)], base.threshold, kColours[v])
        << "</td>";
    o << "</tr>";
  }
  o << "</table>";
  // Localisation.
  o << "<h2>Where the outliers are</h2><p>Redundancy (cosine of a patch's input embedding to its 4 neighbours, Darcet "
       "et al. Fig. 5a): outliers "
    << fmt("%.3f", base.redundancy_outliers) << ", other patches " << fmt("%.3f", base.redundancy_others)
    << ". On the grid border: " << fmt("%.1f", 100 * base.border_outliers) << "% of outliers vs "
    << fmt("%.1f", 100 * base.border_all) << "% of all patches.</p>";
  // Maps.
  if (!pics.inputs.empty()) {
    o << "<h2>Patch-norm maps across depth</h2><p class='note'>Colour scale per layer, shared by both variants "
         "(black = 0, yellow = the layer's max).</p>";
    for (size_t i = 0; i < pics.inputs.size(); ++i)
      for (size_t v = 0; v < run.variants.size(); ++v) {
        o << "<div class='row'><div class='cell'>" << img(pics.inputs[i], ctx.inputs.size() > i ? ctx.inputs[i] : "")
          << "<br>" << esc(names[v]) << "</div>";
        for (size_t l = 0; l < pics.norm[v][i].size(); ++l)
          o << "<div class='cell'>" << img(pics.norm[v][i][l], "layer " + std::to_string(l)) << "<br>layer " << l
            << "</div>";
        o << "</div>";
      }
    if (!pics.attn.empty() && !pics.attn[0].empty() && !pics.attn[0][0].empty()) {
      o << "<h2>CLS → patch attention (mean over heads)</h2><p class='note'>Colour scale per map (yellow = its "
           "max). Attention to CLS itself and to registers is not drawn; see the table.</p>";
      for (size_t i = 0; i < pics.inputs.size(); ++i)
        for (size_t v = 0; v < run.variants.size(); ++v) {
          o << "<div class='row'><div class='cell'>" << img(pics.inputs[i], "") << "<br>" << esc(names[v]) << "</div>";
          for (size_t l = 0; l < pics.attn[v][i].size(); ++l)
            o << "<div class='cell'>" << img(pics.attn[v][i][l], "") << "<br>layer " << l << "</div>";
          o << "</div>";
        }
      o << "<h2>CLS → patch attention per head, layer " << pics.sink_layer << "</h2>";
      for (size_t i = 0; i < pics.inputs.size(); ++i)
        for (size_t v = 0; v < run.variants.size(); ++v) {
          o << "<div class='row'><div class='cell'>" << esc(names[v]) << "</div>";
          for (size_t h = 0; h < pics.heads[v][i].size(); ++h) {
            const auto& share = run.variants[v].cls_to_outliers[static_cast<size_t>(pics.sink_layer)];
            o << "<div class='cell'>" << img(pics.heads[v][i][h], "") << "<br>head " << h << " ("
              << fmt("%.0f%%", 100 * share[h]) << " on outliers)</div>";
          }
          o << "</div>";
        }
    }
  }
  o << "<p class='note'>Numbers: report.json (schema: docs/inspect.md). Generated by sinkscope.</p></body></html>\n";
  return o.str();
}

}  // namespace

nlohmann::json inspect_report_json(const probe::InspectRun& run, const ReportContext& ctx) {
  nlohmann::json j = probe::to_json(run.variants[0]);
  j["schema"] = "sinkscope.inspect/1";
  j["model"] = ctx.model;
  j["family"] = ctx.family;
  j["inputs"] = ctx.inputs;
  j["verdict"] = probe::verdict(run.variants[0]);
  if (run.variants.size() > 1) {
    j["tt_registers"] = probe::to_json(run.variants[1]);
    j["tt_registers"]["settings"] = ctx.fix;
    if (run.change) j["tt_registers"]["feature_change"] = probe::to_json(*run.change);
  }
  return j;
}

void write_inspect_report(const fs::path& out, const probe::InspectRun& run, const ReportContext& ctx) {
  fs::create_directories(out);
  const nlohmann::json j = inspect_report_json(run, ctx);
  {
    std::ofstream f(out / "report.json");
    if (!f) throw Error((out / "report.json").string() + ": cannot write");
    f << j.dump(1) << "\n";
  }
  const Pictures pics = write_pictures(out, run);
  std::ofstream f(out / "report.html");
  if (!f) throw Error((out / "report.html").string() + ": cannot write");
  f << html_page(run, ctx, pics);
}

}  // namespace ss::report
