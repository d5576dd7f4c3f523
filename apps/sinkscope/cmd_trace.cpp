// sinkscope trace MODEL INPUT... --out F.safetensors: run the model and save named intermediates.
#include <nlohmann/json.hpp>
#include <torch/version.h>

#include <cstdio>
#include <map>

#include "commands.h"
#include "io/safetensors.h"
#include "nn/finite_check.h"
#include "nn/lm_inputs.h"
#include "nn/vit_inputs.h"
#include "probe_cli.h"
#include "util/error.h"
#include "util/memory_budget.h"
#include "util/progress.h"

namespace ss::cli {

namespace {

struct TraceOptions {
  std::string model, pixels, out, tensors, dtype = "f32";
  std::string ids, text, tokenizer;  // token inputs for decoder LMs
  std::vector<std::string> inputs;
  std::vector<int> resolution;
  int batch = 8;
  bool summary = false, check_finite = false;
  nn::VitLoadOptions load;
  TtCliOptions tt;  // test-time registers (issue #4)
};

const std::vector<std::string> kVitTensors = {"pixel_values", "blocks.*.out", "final_norm", "image_embeds"};
const std::vector<std::string> kLmTensors = {"blocks.*.out", "final_norm", "logits"};

std::vector<std::string> tensor_patterns(std::vector<std::string> p, const std::string& extra) {
  for (auto& item : split_csv(extra)) p.push_back(std::move(item));
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

// Refuses an absurd --resolution or --batch before any image is decoded (docs/reliability.md): one
// forward (transformer_forward_bytes + the B x 3 x H x W pixels) plus what is kept for all n images
// (pixels, blocks.*.out and final_norm copies in f32, and the requested probs layers' T x T maps).
void check_vit_memory(const TraceOptions& o, const nn::VitConfig& cfg, const std::vector<std::string>& patterns) {
  const double h = o.resolution.empty() ? static_cast<double>(cfg.native_resolution()) : o.resolution[0];
  const double w = o.resolution.empty() ? static_cast<double>(cfg.native_resolution()) : o.resolution[1];
  const double n = static_cast<double>(o.inputs.size()), b = std::min(n, static_cast<double>(o.batch));
  const double t = static_cast<double>(cfg.num_tokens(static_cast<int64_t>(h), static_cast<int64_t>(w)));
  double probs_layers = 0;
  for (int64_t l = 0; l < cfg.depth; ++l)
    for (const auto& p : patterns)
      if (nn::glob_match(p, "blocks." + std::to_string(l) + ".attn.probs")) {
        probs_layers += 1;
        break;
      }
  // Torch 1.x has no fused attention: the T x T matrix is materialised whether or not it is requested.
  const bool matrix = probs_layers > 0 || TORCH_VERSION_MAJOR < 2;
  const double elem = o.dtype == "bf16" ? 2 : 4;
  const double forward = transformer_forward_bytes(b, t, static_cast<double>(cfg.dim), static_cast<double>(cfg.mlp_hidden),
                                                         static_cast<double>(cfg.heads), matrix, elem) + b * 3 * h * w * 4;
  const double kept = n * (3 * h * w + (cfg.depth + 1) * t * cfg.dim + probs_layers * cfg.heads * t * t) * 4;
  require_memory("trace of " + std::to_string(o.inputs.size()) + " image(s) at " + std::to_string(int64_t(h)) + "x" +
                     std::to_string(int64_t(w)) + " (" + std::to_string(int64_t(t)) + " tokens)",
                 forward + kept);
}

// Decoder LMs: one sequence from --ids FILE or --text TEXT (tokenized with the model's tokenizer).
void run_lm_trace(const TraceOptions& o) {
  if (!o.pixels.empty() || !o.inputs.empty() || !o.resolution.empty())
    throw UsageError(o.model + " is a language model: give --ids FILE or --text TEXT, not images");
  if (o.ids.empty() == o.text.empty()) throw UsageError("give --ids FILE or --text TEXT (exactly one of them)");
  if (o.dtype != "f32") throw UsageError("--dtype: language models run in f32 for now");
  LoadedLm lm = load_lm(o.model);
  std::vector<int64_t> ids;
  if (!o.ids.empty()) {
    ids = nn::read_ids_file(o.ids);
  } else {
    for (int32_t id : load_lm_tokenizer(lm.checkpoint, o.tokenizer)->encode(o.text)) ids.push_back(id);
  }
  if (ids.empty()) throw UsageError("no tokens to trace");
  nn::Hooks hooks;
  nn::Capture capture(hooks, tensor_patterns(kLmTensors, o.tensors));
  if (o.check_finite) nn::install_finite_check(hooks);
  const at::Tensor input = at::tensor(ids, at::kLong);
  lm.model->forward(input.unsqueeze(0), at::arange(input.size(0), at::kLong), nullptr, hooks);
  std::vector<io::RawTensor> raws{nn::to_raw("input_ids", input)};
  for (const auto& kv : capture.tensors()) raws.push_back(nn::to_raw(kv.first, kv.second));
  io::write_safetensors(o.out, raws,
                        {{"model", o.model}, {"arch", lm.checkpoint.config.arch}, {"dtype", o.dtype},
                         {"config", nn::to_json(lm.checkpoint.config).dump()}});
  std::fprintf(stderr, "wrote %zu tensors for %zu tokens to %s\n", raws.size(), ids.size(), o.out.c_str());
}

void run_trace(const TraceOptions& o) {
  if (nn::is_decoder_checkpoint(o.model)) return run_lm_trace(o);
  if (!o.ids.empty() || !o.text.empty()) throw UsageError("--ids/--text are for language models; " + o.model + " is not one");
  if (o.pixels.empty() == o.inputs.empty()) throw UsageError("give image files or --pixels FILE (exactly one of them)");
  if (!o.pixels.empty() && !o.resolution.empty()) throw UsageError("--resolution applies to images, not to --pixels");
  if (o.tt.keep && !o.tt.enabled()) throw UsageError("--keep-registers needs --tt-registers");
  if (o.batch <= 0) throw UsageError("--batch must be > 0, got " + std::to_string(o.batch));
  LoadedVit lv = load_vit(o.model, o.load, o.dtype);
  const nn::VitConfig& cfg = lv.model->config();
  const std::vector<std::string> patterns = tensor_patterns(kVitTensors, o.tensors);
  if (o.pixels.empty()) check_vit_memory(o, cfg, patterns);

  nn::Hooks hooks;
  // Before the capture hooks, so captured tensors are the edited ones; registers stripped unless kept.
  const int64_t tt_added = install_tt(hooks, *lv.model, o.tt);
  const int64_t tt_extra = o.tt.keep ? 0 : tt_added;
  nn::Capture capture(hooks, patterns);
  if (o.check_finite) nn::install_finite_check(hooks);  // last: it checks what the forward continues with
  std::map<std::string, std::vector<at::Tensor>> collected;
  std::vector<std::string> order;
  auto run_batch = [&](const at::Tensor& pixels) {
    capture.clear();
    lv.model->forward(pixels, hooks);
    for (const auto& kv : capture.tensors()) {
      if (!collected.count(kv.first)) order.push_back(kv.first);
      // pos_embed is shared by the batch: keep one copy.
      if (kv.first == "pos_embed" && collected.count(kv.first)) continue;
      collected[kv.first].push_back(fix::strip_tt_registers(kv.first, kv.second, tt_extra));
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

void add_trace_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("trace", "Run a model and save named intermediates as safetensors");
  cmd->footer(
      "ViTs - default tensors: pixel_values, blocks.{i}.out (residual stream before the final norm, all\n"
      "tokens), final_norm, image_embeds (CLIP), token_norms [B, layers, T].\n"
      "LMs - input_ids, blocks.{i}.out, final_norm, logits. Add more with --tensors, e.g.\n"
      "'blocks.*.attn.probs', 'blocks.*.mlp.act', 'blocks.3.attn.q', 'tokens_in', 'pos_embed', 'embeddings'.\n"
      "Example:\n  sinkscope trace ~/models/dinov2-small photo.jpg --out feats.safetensors --summary\n"
      "  sinkscope trace model.pth --pixels inputs.safetensors --out t.safetensors --tensors 'blocks.*.attn.probs'\n"
      "  sinkscope trace stories260K.bin --tokenizer tok512.bin --text 'Once upon a time' --out lm.safetensors");
  auto o = std::make_shared<TraceOptions>();
  cmd->add_option("MODEL", o->model, "checkpoint (any format `info` accepts)")->required();
  cmd->add_option("INPUT", o->inputs, "image files (PNG/JPEG), preprocessed with the model's eval transform");
  cmd->add_option("--pixels", o->pixels, "safetensors file with a preprocessed pixel_values [B,3,H,W] tensor");
  cmd->add_option("--ids", o->ids, "LMs: token ids, whitespace-separated or a safetensors input_ids tensor");
  cmd->add_option("--text", o->text, "LMs: text, tokenized with the model's tokenizer");
  cmd->add_option("--tokenizer", o->tokenizer, "LMs: tokenizer file or folder (default: beside the model)");
  cmd->add_option("--out", o->out, "output .safetensors")->required();
  cmd->add_option("--tensors", o->tensors, "extra tensors to save: comma-separated globs");
  cmd->add_option("--dtype", o->dtype, "compute dtype: f32 | bf16")->capture_default_str();
  cmd->add_option("--resolution", o->resolution, "resize images to H W (multiples of the patch), no crop")
      ->expected(2);
  cmd->add_option("--batch", o->batch, "images per forward")->capture_default_str();
  cmd->add_flag("--summary", o->summary, "print per-layer patch-token norm statistics");
  cmd->add_flag("--check-finite", o->check_finite, "stop with an error naming the first tensor holding NaN/Inf");
  add_tt_options(cmd, o->tt, true);
  add_model_options(cmd, o->load);
  cmd->callback([o] { run_trace(*o); });
}

const CommandRegistrar kRegistrar(20, add_trace_command);
}  // namespace

}  // namespace ss::cli
