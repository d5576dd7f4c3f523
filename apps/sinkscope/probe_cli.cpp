#include "probe_cli.h"

#include <algorithm>
#include <filesystem>

#include "util/error.h"

namespace ss::cli {

namespace fs = std::filesystem;

std::vector<std::string> collect_images(const std::vector<std::string>& inputs) {
  std::vector<std::string> out;
  for (const auto& in : inputs) {
    if (fs::is_directory(in)) {
      std::vector<std::string> found;
      for (const auto& e : fs::directory_iterator(in)) {
        std::string ext = e.path().extension().string();
        std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
        if (e.is_regular_file() && (ext == ".png" || ext == ".jpg" || ext == ".jpeg"))
          found.push_back(e.path().string());
      }
      std::sort(found.begin(), found.end());
      if (found.empty()) throw Error(in + ": no .png/.jpg/.jpeg images in this directory");
      out.insert(out.end(), found.begin(), found.end());
    } else if (fs::exists(in)) {
      out.push_back(in);
    } else {
      throw Error(in + ": no such file or directory");  // a missing input is bad data (exit 1), as in trace
    }
  }
  if (out.empty()) throw UsageError("no images given");
  return out;
}

void add_tt_options(CLI::App* cmd, TtCliOptions& o, bool keep_flag) {
  cmd->add_option("--tt-registers", o.neurons,
                  "register-neuron JSON (from `registers find`, or the official {\"<layer>\": [...]}): add "
                  "test-time registers (Jiang et al. 2025, Algorithm 2)");
  cmd->add_option("--num-registers", o.num_registers, "test-time registers to append")->capture_default_str();
  cmd->add_option("--tt-mode", o.mode,
                  "paper: per-neuron max, CLS zeroed | repo: the official code's one signed max per layer, CLS "
                  "untouched (batch-correct)")
      ->capture_default_str();
  if (keep_flag) cmd->add_flag("--keep-registers", o.keep, "keep the appended register tokens in the outputs");
}

void add_check_finite_flag(CLI::App* cmd, bool& check_finite) {
  cmd->add_flag("--check-finite", check_finite, "stop with an error naming the first tensor holding NaN/Inf");
}

int64_t install_tt(nn::Hooks& hooks, const nn::VisionTransformer& model, const TtCliOptions& o) {
  if (!o.enabled()) return 0;
  const auto& c = model.config();
  const fix::NeuronMap neurons = fix::load_register_neurons(o.neurons, c.depth, c.mlp_hidden);
  fix::install_tt_registers(hooks, model, neurons, {o.num_registers, fix::tt_mode_from_name(o.mode)});
  return o.num_registers;
}

}  // namespace ss::cli
