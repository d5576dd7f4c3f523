// sinkscope stream MODEL --text FILE --cache P1,P2,...: perplexity of an endless stream under each
// KV-cache policy in one run (StreamingLLM Fig. 3 / Table 1 protocol, explicit sizes).
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <optional>

#include "commands.h"
#include "io/mmap_file.h"
#include "nn/finite_check.h"
#include "nn/lm_inputs.h"
#include "nn/stream.h"
#include "probe_cli.h"
#include "report/line_plot.h"
#include "util/error.h"
#include "io/atomic_file.h"
#include "util/interrupt.h"
#include "util/memory_budget.h"
#include "util/progress.h"

namespace ss::cli {

namespace {

struct StreamOptions {
  std::string model, text, ids_file, tokenizer, caches = "sink:4+252", out, plot, plot_scale = "auto";
  int64_t max_tokens = 0, ppl_window = 1024;
  std::optional<int64_t> dense_limit;  // unset: 4x the trained context
  bool check_finite = false;
};

double ppl(const std::vector<float>& nll, size_t begin, size_t end) {
  double s = 0;
  for (size_t i = begin; i < end; ++i) s += nll[i];
  return end > begin ? std::exp(s / static_cast<double>(end - begin)) : NAN;
}

// Windowed perplexity vs position, one line per policy. "auto" scale: log y when the values span more
// than 20x (a dense cache past its trained context explodes and would flatten every other line).
void write_plot(const StreamOptions& o, const std::vector<report::PlotSeries>& series) {
  double lo = INFINITY, hi = 0;
  for (const auto& s : series)
    for (double y : s.y)
      if (std::isfinite(y)) lo = std::min(lo, y), hi = std::max(hi, y);
  report::PlotOptions po;
  po.title = "windowed perplexity, " + std::to_string(o.ppl_window) + "-token windows";
  po.x_label = "position (tokens, window start)";
  po.y_label = "perplexity";
  po.log_y = o.plot_scale == "log" || (o.plot_scale == "auto" && hi > 20 * lo);
  report::write_line_plot_png(o.plot, series, po);
}

// Time and memory every StreamResult::kSampleEvery tokens: a soak shows flat per-token cost and RSS.
nlohmann::json samples_json(const nn::StreamResult& r) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& s : r.samples) a.push_back({{"token", s.token}, {"seconds", s.seconds}, {"rss_kb", s.rss_kb}});
  return a;
}

void run_stream(const StreamOptions& o) {
  if (o.max_tokens < 0 || o.ppl_window <= 0) throw UsageError("--max-tokens must be >= 0 and --ppl-window > 0");
  if (o.dense_limit && *o.dense_limit < 0)
    throw UsageError("--dense-limit must be >= 0 (0 = never), got " + std::to_string(*o.dense_limit));
  if (o.plot_scale != "auto" && o.plot_scale != "linear" && o.plot_scale != "log")
    throw UsageError("--plot-scale: expected auto, linear or log, got '" + o.plot_scale + "'");
  std::vector<nn::CachePolicy> policies;
  for (const auto& spec : split_csv(o.caches)) policies.push_back(nn::CachePolicy::parse(spec));
  if (policies.empty()) throw UsageError("--cache: give at least one policy");
  if (o.text.empty() == o.ids_file.empty()) throw UsageError("give the stream as --text FILE or as --ids FILE (one of them)");
  LoadedLm lm = load_lm(o.model);
  const std::string source = o.text.empty() ? o.ids_file : o.text;
  // The model's sink token (StreamingLLM §3.3) comes first, as in training: a sink cache keeps it.
  std::vector<int64_t> ids = nn::model_prefix(lm.model->config());
  std::string tokenizer_kind = "ids";
  if (!o.text.empty()) {
    const auto tok = load_lm_tokenizer(lm.checkpoint, o.tokenizer);
    tokenizer_kind = tok->kind();
    for (int32_t id : tok->encode(io::read_file_bytes(o.text), true)) ids.push_back(id);
  } else {
    for (int64_t id : nn::read_ids_file(o.ids_file)) {
      if (id >= lm.model->config().vocab)
        throw Error(o.ids_file + ": id " + std::to_string(id) + " is outside the model's vocabulary");
      ids.push_back(id);
    }
  }
  if (o.max_tokens > 0 && static_cast<int64_t>(ids.size()) > o.max_tokens) ids.resize(static_cast<size_t>(o.max_tokens));
  if (ids.size() < 2) throw Error(source + ": fewer than 2 tokens");
  // Default: a dense cache may run 4x past the trained context (reported as extrapolation), then stops.
  const int64_t dense_limit = o.dense_limit ? *o.dense_limit : 4 * lm.model->config().max_positions;
  // A dense cache grows with the stream (up to the limit): refuse one that cannot fit before it starts.
  for (const auto& p : policies)
    if (p.kind == nn::CachePolicy::Dense) {
      const int64_t n = dense_limit > 0 ? std::min<int64_t>(dense_limit, static_cast<int64_t>(ids.size()))
                                        : static_cast<int64_t>(ids.size());
      const nn::DecoderConfig& c = lm.model->config();
      require_memory("a dense KV cache of " + std::to_string(n) + " tokens",
                     kv_cache_bytes(static_cast<double>(c.layers), static_cast<double>(c.kv_dim()), static_cast<double>(n)));
      break;
    }

  // --check-finite: a NaN stops the run with exit 1 like any other error (no JSON is written).
  nn::Hooks finite;
  if (o.check_finite) nn::install_finite_check(finite);
  nlohmann::json results = nlohmann::json::array();
  std::vector<report::PlotSeries> series;
  for (const auto& p : policies) {
    Progress bar(p.name(), static_cast<int64_t>(ids.size()) - 1, "tok");
    const std::atomic<bool>& interrupted = interrupt_flag();  // Ctrl-C: keep the results so far
    const nn::StreamResult r = nn::stream_nll(
        *lm.model, ids, p,
        [&bar, &interrupted](int64_t) {
          bar.advance();
          return !interrupted.load();
        },
        dense_limit,  // applies to the dense policy only
        o.check_finite ? &finite : nullptr);
    bar.finish();
    const size_t n = r.nll.size(), w = static_cast<size_t>(o.ppl_window);
    nlohmann::json windows = nlohmann::json::array();
    series.push_back({p.name(), {}, {}});
    for (size_t b = 0; b < n; b += w) {
      const double wp = ppl(r.nll, b, std::min(n, b + w));
      windows.push_back({{"start", b}, {"ppl", wp}});
      series.back().x.push_back(static_cast<double>(b));
      series.back().y.push_back(wp);
    }
    std::string note = r.stopped;
    if (r.extrapolated_after >= 0)
      note += (note.empty() ? "" : "; ") + std::string("positions beyond the trained context from token ") +
              std::to_string(r.extrapolated_after);
    const double tps = r.seconds > 0 ? static_cast<double>(n) / r.seconds : 0;
    if (results.empty())  // after the first run, so an error before it (--check-finite) is the only output
      std::printf("%-16s %9s %9s %9s %9s %10s %11s  %s\n", "cache", "tokens", "ppl", "ppl_last", "tok/s", "max_cache",
                  "rss_MiB", "note");
    std::printf("%-16s %9zu %9.3f %9.3f %9.1f %10lld %5.0f->%-5.0f  %s\n", p.name().c_str(), n, ppl(r.nll, 0, n),
                ppl(r.nll, n > w ? n - w : 0, n), tps, static_cast<long long>(r.max_cache_entries),
                r.rss_start_kb / 1024.0, r.rss_end_kb / 1024.0, note.c_str());
    std::fflush(stdout);
    results.push_back({{"cache", p.name()},
                       {"tokens", n},
                       {"ppl", ppl(r.nll, 0, n)},
                       {"ppl_windows", windows},
                       {"tokens_per_s", tps},
                       {"max_cache_entries", r.max_cache_entries},
                       {"rss_start_kb", r.rss_start_kb},
                       {"rss_end_kb", r.rss_end_kb},
                       {"extrapolated_after", r.extrapolated_after},
                       {"stopped", r.stopped},
                       {"samples", samples_json(r)},
                       {"nll", r.nll}});
    if (r.stopped == "interrupted") break;
  }
  if (!o.out.empty())
    io::write_file_atomic(o.out, nlohmann::json{{"model", o.model},
                                                {"text", source},
                                                {"tokenizer", tokenizer_kind},
                                                {"dense_limit", dense_limit},
                                                {"stream_tokens", ids.size()},
                                                {"ppl_window", o.ppl_window},
                                                {"results", results}}
                                     .dump() +
                                     "\n");
  if (!o.plot.empty()) write_plot(o, series);
  if (interrupt_flag().load()) throw Interrupted("partial results written" + (o.out.empty() ? std::string() : " to " + o.out));
}

void add_stream_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("stream", "Stream a long text through KV-cache policies and compare perplexity");
  cmd->footer(
      "Policies: dense | window:W | recompute:W (rebuild the window per token: the quality oracle) |\n"
      "sink:S+W (StreamingLLM: S attention sinks + W recent, one token evicted at a time) |\n"
      "shift:S+W (llama.cpp context shift: half the window dropped at once). Positions are cache slots.\n"
      "Example:\n  sinkscope stream stories260K.bin --tokenizer tok512.bin --text tinystories_val.txt \\\n"
      "    --max-tokens 20000 --cache dense,window:256,recompute:256,sink:4+252 --out stream.json --plot ppl.png");
  auto o = std::make_shared<StreamOptions>();
  cmd->add_option("MODEL", o->model, "HF folder or llama2.c .bin")->required();
  cmd->add_option("--text", o->text, "text file to stream");
  cmd->add_option("--ids", o->ids_file, "token ids to stream instead of text (e.g. `sinkscope data stream`)");
  cmd->add_option_function<int64_t>(
      "--dense-limit", [o](int64_t n) { o->dense_limit = n; },
      "tokens after which a dense cache stops (default 4x the trained context; 0 = never)");
  cmd->add_option("--cache", o->caches, "comma-separated cache policies")->capture_default_str();
  cmd->add_option("--max-tokens", o->max_tokens, "stop after this many tokens (0 = all)");
  cmd->add_option("--ppl-window", o->ppl_window, "tokens per windowed-perplexity bucket")->capture_default_str();
  cmd->add_option("--out", o->out, "result JSON (per-token NLL, windowed perplexity, tokens/s, RSS)");
  cmd->add_option("--tokenizer", o->tokenizer, "tokenizer file or folder (default: beside the model)");
  cmd->add_option("--plot", o->plot, "PNG line plot of the windowed perplexity vs position, one line per policy");
  cmd->add_option("--plot-scale", o->plot_scale, "y axis of --plot: auto | linear | log")->capture_default_str();
  add_check_finite_flag(cmd, o->check_finite);
  cmd->callback([o] { run_stream(*o); });
}

const CommandRegistrar kRegistrar(28, add_stream_command);

}  // namespace

}  // namespace ss::cli
