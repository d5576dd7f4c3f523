#include "report/lm_report.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "report/heatmap.h"
#include "report/html.h"
#include "util/error.h"

namespace ss::report {

namespace fs = std::filesystem;

namespace {

// Position 1 against the mean of the other positions, row by row: [rows, T] -> one ratio per row.
std::vector<double> first_vs_rest(const at::Tensor& t) {
  const at::Tensor r = t.select(1, 0) / t.slice(1, 1).mean(1);
  return std::vector<double>(r.data_ptr<double>(), r.data_ptr<double>() + r.numel());
}

std::string table_row(const std::vector<std::string>& cells, const char* tag = "td") {
  std::string o = "<tr>";
  for (const auto& c : cells) o += std::string("<") + tag + ">" + c + "</" + tag + ">";
  return o + "</tr>";
}

std::string html_page(const probe::LmSinkResult& r, const LmReportContext& ctx) {
  const int64_t L = r.layers, T = r.seq_len;
  std::ostringstream o;
  o << page_head("sinkscope inspect: " + ctx.model);
  o << "<h1>sinkscope inspect (language model)</h1><p>model <b>" << esc(ctx.model) << "</b> (" << esc(ctx.arch)
    << ", attention " << esc(r.attention) << ", " << esc(ctx.dtype) << "), " << L << " layers, " << r.heads
    << " heads. Probe set: " << r.sequences << " <b>" << esc(ctx.probe) << "</b> sequences of T = " << T
    << (ctx.text.empty() ? "" : " from " + esc(ctx.text)) << ", BOS " << (ctx.bos ? "on" : "off")
    << (ctx.prefix_tokens > (ctx.bos ? 1 : 0) ? ", the model's sink token at position 1" : "") << ", "
    << esc(ctx.probe_hash) << ". Positions are 1-based.</p>";
  o << "<p class='verdict'>" << esc(probe::lm_verdict(r)) << "</p>";
  if (r.proxy)
    o << "<p class='note'>Unnormalised attention (" << esc(r.attention)
      << "): α and F-Attn use Gu et al.'s proxy score w / Σw (Table 6 \"*\").</p>";

  o << "<h2>Summary</h2><table>"
    << table_row({"Sink<sub>1</sub><sup>ε</sup>", fmt("%.1f%%", 100 * r.sink(1)), "heads with α<sub>1</sub> &gt; ε = " +
                  fmt("%.2g", r.epsilon) + ", mean over sequences (Gu §3.2)"})
    << table_row({"Sink<sub>2</sub><sup>ε</sup>", fmt("%.1f%%", 100 * r.sink(2)), "the same on position 2"})
    << table_row({"F-Attn", fmt("%.4f", r.f_attn_mean()), "mean over queries t ≥ 2 of A<sub>t,1</sub> (Qiu et al.)"})
    << table_row({"M-Act", fmt("%.2f", r.m_act), "mean over layers of the largest |h| of the block output (Qiu Table 4)"})
    << table_row({"massive activations", std::to_string(r.massive_count),
                  "|h| &gt; " + fmt("%g", r.massive_abs) + " and ≥ " + fmt("%g", r.massive_ratio) +
                      "× the token's median |h| (Sun §2); hits over all sequences"});
  if (!r.gate_mean.empty()) {
    double m = 0;
    for (double g : r.gate_mean) m += g / static_cast<double>(r.gate_mean.size());
    o << table_row({"gate mean", fmt("%.4f", m), "σ(X W<sub>g</sub>), mean over layers (Qiu: 0.116 elementwise)"});
  }
  o << "</table>";

  o << "<h2>Maps</h2><div class='row'><div class='cell'>" << img("heatmaps/alpha1.png", "alpha_1", 240)
    << "<br>α<sub>1</sub>: rows = layers, columns = heads (0 black … 1 yellow)</div><div class='cell'>"
    << img("heatmaps/f_attn.png", "F-Attn", 240) << "<br>F-Attn per layer × head (0 … 1)</div><div class='cell'>"
    << img("heatmaps/hidden_norm.png", "hidden norm", 480)
    << "<br>‖h<sub>t</sub>‖: rows = tokens_in, blocks 0…; columns = positions; colour scale per row</div></div>";

  // Sink_k and alpha_k over the first positions: where a shifted sink (after a sink token or BOS) sits.
  const int64_t K = std::min<int64_t>(T, 16);
  std::vector<double> sink_k, alpha_k;
  for (int64_t k = 0; k < K; ++k) {
    sink_k.push_back(100 * r.sink(k + 1));
    alpha_k.push_back(r.alpha.select(2, k).mean().item<double>());
  }
  std::vector<double> ratio(r.norm_ratio.data_ptr<double>(), r.norm_ratio.data_ptr<double>() + r.norm_ratio.numel());
  o << "<h2>Across positions and depth</h2><div class='row'>"
    << svg_line_chart({sink_k}, {"Sink_k %"}, "Sink_k (%) for k = 1.." + std::to_string(K) + " (x = k - 1)")
    << svg_line_chart({alpha_k}, {"alpha_k"}, "α_k, mean over layers and heads (x = k - 1)")
    << svg_line_chart({ratio}, {"r"}, "‖h_1‖ / mean other ‖h_t‖ (x: 0 = tokens_in, l = block l-1)", 1) << "</div>";

  const std::vector<double> k_ratio = first_vs_rest(r.k_norm), v_ratio = first_vs_rest(r.v_norm);
  o << "<h2>Per layer</h2><table>"
    << table_row({"layer", "α<sub>1</sub> head mean", "α<sub>1</sub> max", "F-Attn", "‖h<sub>1</sub>‖ / rest",
                  "‖k<sub>1</sub>‖ / rest", "‖v<sub>1</sub>‖ / rest", "cos(q,k<sub>1</sub>)", "cos(q,k<sub>s</sub>)",
                  "max |h|", "top-3 |h|", "median |h|", "massive"},
                 "th");
  for (int64_t l = 0; l < L; ++l) {
    const size_t u = static_cast<size_t>(l);
    const at::Tensor a1 = r.alpha[l].select(1, 0);
    o << table_row({std::to_string(l), fmt("%.3f", a1.mean().item<double>()), fmt("%.3f", a1.max().item<double>()),
                    fmt("%.3f", r.f_attn[l].mean().item<double>()), fmt("%.2f", r.norm_ratio[l + 1].item<double>()),
                    fmt("%.2f", k_ratio[u]), fmt("%.2f", v_ratio[u]), fmt("%.3f", r.cos_q_k1[l].mean().item<double>()),
                    fmt("%.3f", r.cos_q_kother[l].mean().item<double>()), fmt("%.2f", r.max_act[u]),
                    fmt("%.1f", r.top3[u][0]) + ", " + fmt("%.1f", r.top3[u][1]) + ", " + fmt("%.1f", r.top3[u][2]),
                    fmt("%.3f", r.layer_median[u]), std::to_string(r.massive_per_layer[u])});
  }
  o << "</table><p class='note'>rest = mean over positions 2…T (sequence means). cos(q,k<sub>s</sub>): the other "
       "visible keys s ≥ 2. Sun's top-3 and median are over the whole T × D block output, mean over sequences. "
       "Per-head values: report.json.</p>";
  if (!r.gate_mean.empty()) {
    o << "<h2>Gate (gated attention)</h2><table>" << table_row({"layer", "mean σ", "fraction &lt; 0.1"}, "th");
    for (size_t l = 0; l < r.gate_mean.size(); ++l)
      o << table_row({std::to_string(l), fmt("%.4f", r.gate_mean[l]), fmt("%.4f", r.gate_below_0_1[l])});
    o << "</table>";
  }
  if (!r.massive.empty()) {
    o << "<h2>Massive activations</h2><p>" << r.massive_distinct
      << " distinct (layer, dim, position), most frequent first:</p><table>"
      << table_row({"layer", "dim", "position", "sequences", "mean value", "max |h|"}, "th");
    for (const auto& m : r.massive)
      o << table_row({std::to_string(m.layer), std::to_string(m.dim), std::to_string(m.position + 1),
                      std::to_string(m.sequences), fmt("%.1f", m.mean_value), fmt("%.1f", m.max_abs)});
    o << "</table>";
  }
  o << "<p class='note'>Numbers: report.json (schema: docs/inspect.md). Generated by sinkscope.</p></body></html>\n";
  return o.str();
}

}  // namespace

nlohmann::json lm_report_json(const probe::LmSinkResult& r, const LmReportContext& ctx) {
  nlohmann::json j = probe::to_json(r);
  j["schema"] = "sinkscope.inspect-lm/1";
  j["model"] = ctx.model;
  j["arch"] = ctx.arch;
  j["dtype"] = ctx.dtype;
  j["verdict"] = probe::lm_verdict(r);
  j["probe"] = {{"kind", ctx.probe},     {"text", ctx.text},         {"tokenizer", ctx.tokenizer},
                {"seq_len", r.seq_len},  {"sequences", r.sequences}, {"seed", ctx.seed},
                {"bos", ctx.bos},        {"prefix_tokens", ctx.prefix_tokens}, {"hash", ctx.probe_hash}};
  return j;
}

void write_lm_report(const fs::path& out, const probe::LmSinkResult& r, const LmReportContext& ctx) {
  fs::create_directories(out / "heatmaps");
  {
    std::ofstream f(out / "report.json");
    if (!f) throw Error((out / "report.json").string() + ": cannot write");
    f << lm_report_json(r, ctx).dump(1) << "\n";
  }
  write_heatmap_png((out / "heatmaps" / "alpha1.png").string(), r.alpha.select(2, 0), 0.0, 1.0, {}, 0, 24);
  write_heatmap_png((out / "heatmaps" / "f_attn.png").string(), r.f_attn, 0.0, 1.0, {}, 0, 24);
  // Norms grow with depth; each layer on its own scale shows where its large tokens are.
  const at::Tensor rows = r.hidden_norm / r.hidden_norm.amax(1, true).clamp_min(1e-12);
  write_heatmap_png((out / "heatmaps" / "hidden_norm.png").string(), rows, 0.0, 1.0, {}, 0, 10);
  std::ofstream f(out / "report.html");
  if (!f) throw Error((out / "report.html").string() + ": cannot write");
  f << html_page(r, ctx);
}

}  // namespace ss::report
