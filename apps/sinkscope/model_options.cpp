#include "commands.h"

#include <cstdio>
#include <sstream>

#include "nn/runtime.h"
#include "util/error.h"

namespace ss::cli {

void add_model_options(CLI::App* cmd, nn::VitLoadOptions& opts) {
  cmd->add_option_function<std::string>(
      "--model-args", [&opts](const std::string& p) { opts.model_args = p; },
      "JSON with constructor arguments (num_heads, interpolate_offset, interpolate_antialias, act, ...) "
      "for checkpoints that carry none; default: model_args.json beside the weights");
  cmd->add_option_function<std::string>(
      "--act", [&opts](const std::string& a) { opts.activation = a; },
      "MLP activation where the file does not say (OpenCLIP): quick_gelu | gelu | gelu_tanh");
}

at::ScalarType parse_dtype(const std::string& flag, const std::string& value) {
  if (value == "f32" || value == "fp32" || value == "float32") return at::kFloat;
  if (value == "bf16" || value == "bfloat16") return at::kBFloat16;
  throw UsageError(flag + " '" + value + "': expected f32 or bf16");
}

std::vector<std::string> split_csv(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

LoadedVit load_vit(const std::string& path, const nn::VitLoadOptions& opts, const std::string& dtype) {
  const at::ScalarType st = parse_dtype("--dtype", dtype);
  LoadedVit lv;
  lv.checkpoint = nn::load_vit_checkpoint(path, opts);
  try {
    lv.model = std::make_unique<nn::VisionTransformer>(lv.checkpoint.config, lv.checkpoint.weights);
  } catch (const Error& e) {
    throw Error(path + ": " + e.what());
  }
  lv.model->set_dtype(st);
  static bool warned = false;
  if (st == at::kBFloat16 && !nn::cpu_has_fast_bf16() && !warned) {
    warned = true;
    std::fflush(stdout);
    std::fprintf(stderr, "warning: %s has no AVX512-BF16/AMX: bf16 matrix products are emulated and slow here\n",
                 nn::cpu_description().c_str());
  }
  return lv;
}

}  // namespace ss::cli
