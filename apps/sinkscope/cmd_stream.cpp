// sinkscope stream MODEL --text FILE --cache P1,P2,...: perplexity of an endless stream under each
// KV-cache policy in one run (StreamingLLM Fig. 3 / Table 1 protocol, explicit sizes).
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>

#include "commands.h"
#include "nn/stream.h"
#include "util/error.h"
#include "util/progress.h"

namespace ss::cli {

namespace {

struct StreamOptions {
  std::string model, text, tokenizer, caches = "sink:4+252", out;
  int64_t max_tokens = 0, ppl_window = 1024;
};

double ppl(const std::vector<float>& nll, size_t begin, size_t end) {
  double s = 0;
  for (size_t i = begin; i < end; ++i) s += nll[i];
  return end > begin ? std::exp(s / static_cast<double>(end - begin)) : NAN;
}

void run_stream(const StreamOptions& o) {
  if (o.max_tokens < 0 || o.ppl_window <= 0) throw UsageError("--max-tokens must be >= 0 and --ppl-window > 0");
  std::vector<nn::CachePolicy> policies;
  for (const auto& spec : split_csv(o.caches)) policies.push_back(nn::CachePolicy::parse(spec));
  if (policies.empty()) throw UsageError("--cache: give at least one policy");
  LoadedLm lm = load_lm(o.model);
  const auto tok = load_lm_tokenizer(lm.checkpoint, o.tokenizer);
  std::ifstream in(o.text, std::ios::binary);
  if (!in) throw Error(o.text + ": cannot open");
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  std::vector<int64_t> ids;
  for (int32_t id : tok->encode(text, true)) ids.push_back(id);
  if (o.max_tokens > 0 && static_cast<int64_t>(ids.size()) > o.max_tokens) ids.resize(static_cast<size_t>(o.max_tokens));
  if (ids.size() < 2) throw Error(o.text + ": fewer than 2 tokens");

  nlohmann::json results = nlohmann::json::array();
  std::printf("%-16s %9s %9s %9s %9s %10s %11s  %s\n", "cache", "tokens", "ppl", "ppl_last", "tok/s", "max_cache",
              "rss_MiB", "note");
  for (const auto& p : policies) {
    Progress bar(p.name(), static_cast<int64_t>(ids.size()) - 1, "tok");
    const nn::StreamResult r = nn::stream_nll(*lm.model, ids, p, [&bar](int64_t) {
      bar.advance();
      return true;
    });
    bar.finish();
    const size_t n = r.nll.size(), w = static_cast<size_t>(o.ppl_window);
    nlohmann::json windows = nlohmann::json::array();
    for (size_t b = 0; b < n; b += w) windows.push_back({{"start", b}, {"ppl", ppl(r.nll, b, std::min(n, b + w))}});
    std::string note = r.stopped;
    if (r.extrapolated_after >= 0)
      note += (note.empty() ? "" : "; ") + std::string("positions beyond the trained context from token ") +
              std::to_string(r.extrapolated_after);
    const double tps = r.seconds > 0 ? static_cast<double>(n) / r.seconds : 0;
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
                       {"nll", r.nll}});
  }
  if (!o.out.empty()) {
    const std::string tmp = o.out + ".tmp";
    {
      std::ofstream f(tmp);
      if (!f) throw Error(o.out + ": cannot write");
      f << nlohmann::json{{"model", o.model},
                          {"text", o.text},
                          {"tokenizer", tok->kind()},
                          {"stream_tokens", ids.size()},
                          {"ppl_window", o.ppl_window},
                          {"results", results}}
               .dump()
        << "\n";
    }
    std::rename(tmp.c_str(), o.out.c_str());
  }
}

void add_stream_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("stream", "Stream a long text through KV-cache policies and compare perplexity");
  cmd->footer(
      "Policies: dense | window:W | recompute:W (rebuild the window per token: the quality oracle) |\n"
      "sink:S+W (StreamingLLM: S attention sinks + W recent, one token evicted at a time) |\n"
      "shift:S+W (llama.cpp context shift: half the window dropped at once). Positions are cache slots.\n"
      "Example:\n  sinkscope stream stories260K.bin --tokenizer tok512.bin --text tinystories_val.txt \\\n"
      "    --max-tokens 20000 --cache dense,window:256,recompute:256,sink:4+252 --out stream.json");
  auto o = std::make_shared<StreamOptions>();
  cmd->add_option("MODEL", o->model, "HF folder or llama2.c .bin")->required();
  cmd->add_option("--text", o->text, "text file to stream")->required();
  cmd->add_option("--cache", o->caches, "comma-separated cache policies")->capture_default_str();
  cmd->add_option("--max-tokens", o->max_tokens, "stop after this many tokens (0 = all)");
  cmd->add_option("--ppl-window", o->ppl_window, "tokens per windowed-perplexity bucket")->capture_default_str();
  cmd->add_option("--out", o->out, "result JSON (per-token NLL, windowed perplexity, tokens/s, RSS)");
  cmd->add_option("--tokenizer", o->tokenizer, "tokenizer file or folder (default: beside the model)");
  cmd->callback([o] { run_stream(*o); });
}

const CommandRegistrar kRegistrar(28, add_stream_command);

}  // namespace

}  // namespace ss::cli
