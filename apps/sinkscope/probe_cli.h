// Options shared by the diagnostics commands (inspect, registers, trace): image lists and the
// test-time-register intervention flags.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "fix/tt_registers.h"
#include "nn/vit.h"

namespace ss::cli {

// Files as given, and every .png/.jpg/.jpeg directly inside a directory (sorted by name).
// Throws ss::UsageError when nothing is left or a path does not exist.
std::vector<std::string> collect_images(const std::vector<std::string>& inputs);

struct TtCliOptions {
  std::string neurons;  // --tt-registers FILE; empty = no intervention
  int64_t num_registers = 1;
  std::string mode = "paper";
  bool keep = false;  // --keep-registers: outputs include the appended tokens
  bool enabled() const { return !neurons.empty(); }
};

// --tt-registers, --num-registers, --tt-mode (and --keep-registers when `keep_flag`).
void add_tt_options(CLI::App* cmd, TtCliOptions& o, bool keep_flag);
// Loads the neuron file against `model` and installs the hooks; returns the number of appended tokens.
int64_t install_tt(nn::Hooks& hooks, const nn::VisionTransformer& model, const TtCliOptions& o);

}  // namespace ss::cli
