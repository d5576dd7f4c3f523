// The files `sinkscope inspect LM --out DIR` writes (docs/inspect.md, language models): report.json
// with every metric of probe::LmSinkResult plus what identifies the run (model, probe set and its
// hash, T, BOS flag, dtype, attention kind, eps), heatmap PNGs, and report.html to read first.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

#include "probe/lm_sinks.h"

namespace ss::report {

struct LmReportContext {
  std::string model;  // as the user named it
  std::string arch, dtype = "f32";
  std::string probe;  // natural | random | repeat
  std::string text;   // natural: the text file
  std::string tokenizer;
  std::string probe_hash;
  uint64_t seed = 0;
  bool bos = false;           // a BOS token starts every sequence (after the sink token, if any)
  int64_t prefix_tokens = 0;  // ids before the content: the model's sink token, then BOS
};

nlohmann::json lm_report_json(const probe::LmSinkResult& r, const LmReportContext& ctx);

// Writes report.json, report.html and heatmaps/{alpha1,f_attn,hidden_norm}.png under `out` (created).
void write_lm_report(const std::filesystem::path& out, const probe::LmSinkResult& r, const LmReportContext& ctx);

}  // namespace ss::report
