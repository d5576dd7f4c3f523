#include "commands.h"

#include <cstdio>
#include <sstream>

#include "io/mmap_file.h"
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

CLI::Validator at_least(double min, bool or_equal) {
  std::ostringstream bound;
  bound << (or_equal ? ">= " : "> ") << min;
  return CLI::Validator(
      [min, or_equal, bound = bound.str()](std::string& s) {
        double v = 0;
        const bool ok = CLI::detail::lexical_cast(s, v) && (or_equal ? v >= min : v > min);
        return ok ? std::string() : "must be " + bound + ", got " + s;
      },
      or_equal && min == 0 ? "NONNEGATIVE" : "NUMBER " + bound.str());
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
  // A language model would otherwise fail in a ViT parser with a message about its bytes.
  if (nn::is_decoder_checkpoint(path))
    throw UsageError(path + " is a language model; this command needs a vision model (DINOv2, CLIP, ViT, DeiT)");
  // Checked even where the checkpoint says everything itself and the flags would go unread.
  if (!opts.model_args.empty()) io::MmapFile::open(opts.model_args.string());
  if (opts.activation) {
    try {
      nn::activation_from_name(*opts.activation);
    } catch (const UsageError& e) {
      throw UsageError(std::string("--act: ") + e.what());
    }
  }
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
