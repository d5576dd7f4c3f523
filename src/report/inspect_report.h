// The files `sinkscope inspect --out DIR` writes: report.json (docs/inspect.md), report.html (the
// page a person reads first: verdict, per-layer table and curves, histograms, norm and attention
// maps across depth, before/after with test-time registers) and the PNGs it shows.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "probe/inspect.h"

namespace ss::report {

struct ReportContext {
  std::string model;  // as the user named it
  std::string family;
  std::vector<std::string> inputs;  // image paths, in order
  nlohmann::json fix;               // settings of the second variant (neurons file, mode, R), or null
};

// report.json content (also returned for tests).
nlohmann::json inspect_report_json(const probe::InspectRun& run, const ReportContext& ctx);

// Writes report.json, report.html, images/, maps/ and attn/ under `out` (created).
void write_inspect_report(const std::filesystem::path& out, const probe::InspectRun& run, const ReportContext& ctx);

}  // namespace ss::report
