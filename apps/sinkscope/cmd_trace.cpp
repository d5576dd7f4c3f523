// sinkscope trace MODEL INPUT... --out F.safetensors: run the model and save named intermediates.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <map>

#include "commands.h"
#include "io/safetensors.h"
#include "nn/vit_inputs.h"
#include "util/error.h"
#include "util/progress.h"

namespace ss::cli {

namespace {

struct TraceOptions {
  std::string model, pixels, out, tensors, dtype = "f32";
  std::vector<std::string> inputs;
  std::vector<int> resolution;
  int batch = 8;
  bool summary = false;
  nn::VitLoadOptions load;
};

const std::vector<std::string> kDefaultTensors = {"pixel_values", "blocks.*.out", "final_norm", "image_embeds"};

std::vector<std::string> tensor_patterns(const std::string& extra) {
  std::vector<std::string> p = kDefaultTensors;
  size_t start = 0;
  while (start <= extra.size()) {
    const size_t comma = extra.find(',', start);
    const std::string item = extra.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty()) p.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return p;
}

// Per-layer statistics of patch-token L2 norms: the first look at high-norm outliers.
void print_norm_summary(const at::Tensor& token_norms, int64_t prefix) {
  std::printf("%-6s %10s %10s %10s %10s\n", "layer", "median", "p98", "max", "max/med");
  for (int64_t l = 0; l < token_norms.size(1); ++l) {
    const at::Tensor n = token_norms.select(1, l).slice(1, prefix).flatten();
    const double med = n.median().item<double>();
    const double p98 = at::quantile(n.to(at::kDouble), 0.98).item<double>();
    const double mx = n.max().item<double>();
    std::printf("%-6lld %10.3f %10.3f %10.3f %10.2f\n", static_cast<long long>(l), med, p98, mx, mx / med);
  }
}

void run_trace(const TraceOptions& o) {
  if (o.pixels.empty() == o.inputs.empty()) throw UsageError("give image files or --pixels FILE (exactly one of them)");
  if (!o.pixels.empty() && !o.resolution.empty()) throw UsageError("--resolution applies to images, not to --pixels");
  if (o.batch <= 0) throw UsageError("--batch must be > 0, got " + std::to_string(o.batch));
  LoadedVit lv = load_vit(o.model, o.load, o.dtype);
  const nn::VitConfig& cfg = lv.model->config();

  nn::Hooks hooks;
  nn::Capture capture(hooks, tensor_patterns(o.tensors));
  std::map<std::string, std::vector<at::Tensor>> collected;
  std::vector<std::string> order;
  auto run_batch = [&](const at::Tensor& pixels) {
    capture.clear();
    lv.model->forward(pixels, hooks);
    for (const auto& kv : capture.tensors()) {
      if (!collected.count(kv.first)) order.push_back(kv.first);
      // pos_embed is shared by the batch: keep one copy.
      if (kv.first == "pos_embed" && collected.count(kv.first)) continue;
      collected[kv.first].push_back(kv.second);
    }
  };

  if (!o.pixels.empty()) {
    run_batch(nn::load_pixel_file(o.pixels));
  } else {
    Progress bar("trace", static_cast<int64_t>(o.inputs.size()), "img");
    for (size_t i = 0; i < o.inputs.size(); i += static_cast<size_t>(o.batch)) {
      const std::vector<std::string> chunk(o.inputs.begin() + static_cast<long>(i),
                                           o.inputs.begin() + static_cast<long>(std::min(i + o.batch, o.inputs.size())));
      run_batch(nn::load_images(chunk, cfg, o.resolution));
      bar.advance(static_cast<int64_t>(chunk.size()));
    }
  }

  std::vector<io::RawTensor> raws;
  std::vector<at::Tensor> block_norms;
  for (const auto& name : order) {
    at::Tensor t = at::cat(collected[name], 0);
    raws.push_back(nn::to_raw(name, t));
    if (name.rfind("blocks.", 0) == 0 && name.size() > 4 && name.compare(name.size() - 4, 4, ".out") == 0)
      block_norms.push_back(t.norm(2, -1));
  }
  at::Tensor token_norms;
  if (!block_norms.empty()) {
    token_norms = at::stack(block_norms, 1);  // [B, layers, T]
    raws.push_back(nn::to_raw("token_norms", token_norms));
  }
  nlohmann::json inputs = o.pixels.empty() ? nlohmann::json(o.inputs) : nlohmann::json::array({o.pixels});
  io::write_safetensors(o.out, raws,
                        {{"model", o.model},
                         {"family", nn::family_name(cfg.family)},
                         {"dtype", o.dtype},
                         {"inputs", inputs.dump()},
                         {"config", nn::to_json(cfg).dump()}});
  if (o.summary && token_norms.defined()) print_norm_summary(token_norms, cfg.prefix_tokens());
  std::fflush(stdout);
  std::fprintf(stderr, "wrote %zu tensors to %s\n", raws.size(), o.out.c_str());
}

}  // namespace

namespace {
void add_trace_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("trace", "Run a model and save named intermediates as safetensors");
  cmd->footer(
      "Default tensors: pixel_values, blocks.{i}.out (residual stream before the final norm, all tokens),\n"
      "final_norm, image_embeds (CLIP), token_norms [B, layers, T]. Add more with --tensors, e.g.\n"
      "'blocks.*.attn.probs', 'blocks.*.mlp.act', 'blocks.3.attn.q', 'tokens_in', 'pos_embed', 'embeddings'.\n"
      "Example:\n  sinkscope trace ~/models/dinov2-small photo.jpg --out feats.safetensors --summary\n"
      "  sinkscope trace model.pth --pixels inputs.safetensors --out t.safetensors --tensors 'blocks.*.attn.probs'");
  auto o = std::make_shared<TraceOptions>();
  cmd->add_option("MODEL", o->model, "checkpoint (any format `info` accepts)")->required();
  cmd->add_option("INPUT", o->inputs, "image files (PNG/JPEG), preprocessed with the model's eval transform");
  cmd->add_option("--pixels", o->pixels, "safetensors file with a preprocessed pixel_values [B,3,H,W] tensor");
  cmd->add_option("--out", o->out, "output .safetensors")->required();
  cmd->add_option("--tensors", o->tensors, "extra tensors to save: comma-separated globs");
  cmd->add_option("--dtype", o->dtype, "compute dtype: f32 | bf16")->capture_default_str();
  cmd->add_option("--resolution", o->resolution, "resize images to H W (multiples of the patch), no crop")
      ->expected(2);
  cmd->add_option("--batch", o->batch, "images per forward")->capture_default_str();
  cmd->add_flag("--summary", o->summary, "print per-layer patch-token norm statistics");
  add_model_options(cmd, o->load);
  cmd->callback([o] { run_trace(*o); });
}

const CommandRegistrar kRegistrar(20, add_trace_command);
}  // namespace

}  // namespace ss::cli
