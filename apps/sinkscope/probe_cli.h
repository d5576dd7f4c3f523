// Options shared by the diagnostics commands (inspect, registers, trace, and --check-finite also on
// stream and generate): image lists, the test-time-register intervention flags, the finite check.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "fix/tt_registers.h"
#include "nn/vit.h"

namespace ss::cli {

// Files as given, and every .png/.jpg/.jpeg directly inside a directory (sorted by name).
// Throws ss::Error when a path does not exist or a directory holds no image, ss::UsageError when
// no input is given.
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

// --check-finite, worded the same on every command that has it (nn::install_finite_check does the work).
void add_check_finite_flag(CLI::App* cmd, bool& check_finite);

}  // namespace ss::cli
