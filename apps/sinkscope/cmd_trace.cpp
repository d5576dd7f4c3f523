// sinkscope trace MODEL INPUT... --out F.safetensors: run the model and save named intermediates.
#include <nlohmann/json.hpp>
#include <torch/version.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <optional>

#include "commands.h"
#include "io/atomic_file.h"
#include "io/path_list.h"
#include "io/safetensors.h"
#include "io/safetensors_stream.h"
#include "nn/finite_check.h"
#include "nn/lm_inputs.h"
#include "nn/stream.h"
#include "nn/vit_inputs.h"
#include "probe_cli.h"
#include "util/error.h"
#include "util/interrupt.h"
#include "util/memory_budget.h"
#include "util/progress.h"

namespace ss::cli {

namespace {

struct TraceOptions {
  std::string model, pixels, out, tensors, dtype = "f32";
  std::string list, samples;  // --list FILE (more images), --samples FILE (time/RSS log)
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
// forward (transformer_forward_bytes + the B x 3 x H x W pixels) plus the f32 copies kept for that
// batch until they are written (pixels, blocks.*.out and final_norm, the requested probs layers'
// T x T maps). Nothing is kept across batches: outputs stream to the file.
void check_vit_memory(const TraceOptions& o, size_t images, const nn::VitConfig& cfg,
                      const std::vector<std::string>& patterns) {
  const double h = o.resolution.empty() ? static_cast<double>(cfg.native_resolution()) : o.resolution[0];
  const double w = o.resolution.empty() ? static_cast<double>(cfg.native_resolution()) : o.resolution[1];
  const double n = static_cast<double>(images), b = std::min(n, static_cast<double>(o.batch));
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
  const double kept = b * (3 * h * w + (cfg.depth + 1) * t * cfg.dim + probs_layers * cfg.heads * t * t) * 4;
  require_memory("trace of " + std::to_string(images) + " image(s) at " + std::to_string(int64_t(h)) + "x" +
                     std::to_string(int64_t(w)) + " (" + std::to_string(int64_t(t)) + " tokens)",
                 forward + kept);
}

// Decoder LMs: one sequence from --ids FILE or --text TEXT (tokenized with the model's tokenizer).
void run_lm_trace(const TraceOptions& o) {
  if (!o.pixels.empty() || !o.inputs.empty() || !o.list.empty() || !o.resolution.empty() || !o.samples.empty())
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

// "blocks.<i>.out", the residual stream after block i: what token_norms is made of (not the
// blocks.<i>.attn.out / .mlp.out that --tensors may add).
bool is_block_output(const std::string& name) {
  const std::string prefix = "blocks.", suffix = ".out";
  if (name.size() <= prefix.size() + suffix.size() || name.rfind(prefix, 0) != 0 ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
    return false;
  const std::string layer = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  return layer.find_first_not_of("0123456789") == std::string::npos;
}

// One batch's outputs: the per-image tensors [b, ...] (test-time registers stripped, token_norms
// added) and those shared by every image (pos_embed), which the file holds once.
struct BatchOutputs {
  std::vector<io::RawTensor> per_image, shared;
};

BatchOutputs batch_outputs(const nn::Capture& capture, int64_t tt_extra, int64_t b) {
  BatchOutputs out;
  std::vector<at::Tensor> block_norms;
  for (const auto& [name, captured] : capture.tensors()) {
    const at::Tensor t = fix::strip_tt_registers(name, captured, tt_extra);
    if (name == "pos_embed") {
      out.shared.push_back(nn::to_raw(name, t));
      continue;
    }
    if (t.dim() == 0 || t.size(0) != b)
      throw Error("tensor '" + name + "' is " + c10::str(t.sizes()) + ", expected a leading batch dimension of " +
                  std::to_string(b));
    out.per_image.push_back(nn::to_raw(name, t));
    if (is_block_output(name)) block_norms.push_back(t.norm(2, -1));
  }
  if (!block_norms.empty()) out.per_image.push_back(nn::to_raw("token_norms", at::stack(block_norms, 1)));  // [b, layers, T]
  return out;
}

std::vector<io::SafetensorsStreamWriter::ItemTensor> per_image_specs(const std::vector<io::RawTensor>& batch) {
  std::vector<io::SafetensorsStreamWriter::ItemTensor> specs;
  for (const io::RawTensor& t : batch) specs.push_back({t.name, t.dtype, {t.shape.begin() + 1, t.shape.end()}});
  return specs;
}

// Elapsed time and RSS every kEvery images (--samples): the record that a long run's memory is flat.
class RunLog {
 public:
  static constexpr int64_t kEvery = 100;
  void sample(int64_t images) {
    if (images < next_) return;
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    samples_.push_back({{"images", images}, {"seconds", s}, {"rss_kb", nn::current_rss_kb()}});
    next_ = (images / kEvery + 1) * kEvery;
  }
  // `images`, `done`: declared and written; the last sample is forced so the log ends at `done`.
  nlohmann::json to_json(int64_t images, int64_t done) {
    if (samples_.back()["images"] != done) {
      next_ = done;
      sample(done);
    }
    const double s = samples_.back()["seconds"].get<double>();
    return {{"images", images},
            {"done", done},
            {"stopped", done < images ? "interrupted" : ""},
            {"seconds", s},
            {"images_per_s", s > 0 ? static_cast<double>(done) / s : 0.0},
            {"rss_start_kb", samples_.front()["rss_kb"]},
            {"rss_end_kb", samples_.back()["rss_kb"]},
            {"sample_every", kEvery},
            {"samples", samples_}};
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  nlohmann::json samples_ = nlohmann::json::array();
  int64_t next_ = 0;
};

// ViTs: images (arguments and --list) or a pixel file, in batches. Each batch's outputs go to the
// file as soon as they exist (io::SafetensorsStreamWriter), so memory does not grow with the number
// of images; Ctrl-C finishes the current batch and keeps the images done (exit 130).
void run_vit_trace(const TraceOptions& o) {
  if (!o.ids.empty() || !o.text.empty()) throw UsageError("--ids/--text are for language models; " + o.model + " is not one");
  if (o.pixels.empty() == (o.inputs.empty() && o.list.empty()))
    throw UsageError("give image files (or --list FILE) or --pixels FILE (exactly one of them)");
  if (!o.pixels.empty() && !o.resolution.empty()) throw UsageError("--resolution applies to images, not to --pixels");
  if (o.tt.keep && !o.tt.enabled()) throw UsageError("--keep-registers needs --tt-registers");
  if (o.batch <= 0) throw UsageError("--batch must be > 0, got " + std::to_string(o.batch));
  std::vector<std::string> images = o.inputs;
  if (!o.list.empty()) {
    const std::vector<std::string> listed = io::read_path_list(o.list);
    images.insert(images.end(), listed.begin(), listed.end());
  }
  const std::atomic<bool>& interrupted = interrupt_flag();  // from here on, Ctrl-C keeps what is done
  LoadedVit lv = load_vit(o.model, o.load, o.dtype);
  const nn::VitConfig& cfg = lv.model->config();
  const std::vector<std::string> patterns = tensor_patterns(kVitTensors, o.tensors);
  at::Tensor pixel_file;
  if (o.pixels.empty())
    check_vit_memory(o, images.size(), cfg, patterns);
  else
    pixel_file = nn::load_pixel_file(o.pixels);
  const int64_t n = pixel_file.defined() ? pixel_file.size(0) : static_cast<int64_t>(images.size());

  nn::Hooks hooks;
  // Before the capture hooks, so captured tensors are the edited ones; registers stripped unless kept.
  const int64_t tt_added = install_tt(hooks, *lv.model, o.tt);
  const int64_t tt_extra = o.tt.keep ? 0 : tt_added;
  nn::Capture capture(hooks, patterns);
  if (o.check_finite) nn::install_finite_check(hooks);  // last: it checks what the forward continues with
  // The inputs whose results the file holds: a cut-short file lists only those.
  auto metadata = [&](int64_t done) -> std::map<std::string, std::string> {
    nlohmann::json inputs = nlohmann::json::array();
    if (pixel_file.defined() && done > 0) inputs.push_back(o.pixels);
    if (!pixel_file.defined()) inputs = std::vector<std::string>(images.begin(), images.begin() + done);
    return {{"model", o.model},
            {"family", nn::family_name(cfg.family)},
            {"dtype", o.dtype},
            {"inputs", inputs.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)},
            {"config", nn::to_json(cfg).dump()}};
  };

  std::optional<io::SafetensorsStreamWriter> out;  // opened once the first batch gives the shapes
  size_t tensors = 0;
  std::vector<int64_t> image_shape;  // [3, H, W]: one header for all images needs one shape
  RunLog log;
  log.sample(0);
  Progress bar("trace", n, "img");
  for (int64_t i = 0; i < n && !interrupted.load();) {
    const int64_t b = pixel_file.defined() ? n : std::min<int64_t>(o.batch, n - i);
    const std::vector<std::string> chunk(images.begin() + i, images.begin() + i + (pixel_file.defined() ? 0 : b));
    const at::Tensor pixels = pixel_file.defined() ? pixel_file : nn::load_images(chunk, cfg, o.resolution);
    const std::vector<int64_t> shape(pixels.sizes().begin() + 1, pixels.sizes().end());
    if (!image_shape.empty() && shape != image_shape)
      throw Error(chunk.front() + ": preprocessed to " + std::to_string(shape[1]) + "x" + std::to_string(shape[2]) +
                  ", unlike the first image's " + std::to_string(image_shape[1]) + "x" + std::to_string(image_shape[2]) +
                  "; use --resolution H W to trace images of different shapes");
    image_shape = shape;
    capture.clear();
    lv.model->forward(pixels, hooks);
    const BatchOutputs outs = batch_outputs(capture, tt_extra, b);
    if (!out) {
      out.emplace(o.out, n, per_image_specs(outs.per_image), outs.shared, metadata(n));
      tensors = outs.per_image.size() + outs.shared.size();
    }
    out->append(outs.per_image);
    i += b;
    bar.advance(b);
    log.sample(i);
  }
  bar.finish();
  const int64_t done = out ? out->items_written() : 0;
  const nlohmann::json run = log.to_json(n, done);  // the loop's time, without the final file work
  if (out)
    out->finish(metadata(done));  // after Ctrl-C this moves the data of the images done together
  else
    io::write_safetensors(o.out, {}, metadata(0));  // interrupted before the first batch: a valid empty file
  if (!o.samples.empty()) io::write_file_atomic(o.samples, run.dump(1) + "\n");
  if (o.summary && done > 0) {
    const io::SafetensorsFile file = io::SafetensorsFile::open(o.out);
    if (const io::RawTensor* norms = file.find("token_norms")) print_norm_summary(nn::to_tensor(*norms), cfg.prefix_tokens());
  }
  std::fflush(stdout);
  std::fprintf(stderr, "wrote %zu tensors for %lld of %lld inputs to %s (RSS %.0f -> %.0f MiB)\n",
               tensors, static_cast<long long>(done), static_cast<long long>(n), o.out.c_str(),
               run["rss_start_kb"].get<double>() / 1024, run["rss_end_kb"].get<double>() / 1024);
  if (done < n) throw Interrupted(std::to_string(done) + " of " + std::to_string(n) + " inputs written to " + o.out);
}

void run_trace(const TraceOptions& o) {
  if (nn::is_decoder_checkpoint(o.model)) return run_lm_trace(o);
  run_vit_trace(o);
}

void add_trace_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("trace", "Run a model and save named intermediates as safetensors");
  cmd->footer(
      "ViTs - default tensors: pixel_values, blocks.{i}.out (residual stream before the final norm, all\n"
      "tokens), final_norm, image_embeds (CLIP), token_norms [B, layers, T].\n"
      "LMs - input_ids, blocks.{i}.out, final_norm, logits. Add more with --tensors, e.g.\n"
      "'blocks.*.attn.probs', 'blocks.*.mlp.act', 'blocks.3.attn.q', 'tokens_in', 'pos_embed', 'embeddings'.\n"
      "Images stream to the file batch by batch (memory does not grow with their number); Ctrl-C keeps\n"
      "the images done in a valid file (exit 130).\n"
      "Example:\n  sinkscope trace ~/models/dinov2-small photo.jpg --out feats.safetensors --summary\n"
      "  sinkscope trace dinov2-small --list images.txt --out all.safetensors --samples rss.json\n"
      "  sinkscope trace model.pth --pixels inputs.safetensors --out t.safetensors --tensors 'blocks.*.attn.probs'\n"
      "  sinkscope trace stories260K.bin --tokenizer tok512.bin --text 'Once upon a time' --out lm.safetensors");
  auto o = std::make_shared<TraceOptions>();
  cmd->add_option("MODEL", o->model, "checkpoint (any format `info` accepts)")->required();
  cmd->add_option("INPUT", o->inputs, "image files (PNG/JPEG), preprocessed with the model's eval transform");
  cmd->add_option("--list", o->list, "more images: a file with one path per line (after any INPUT files)");
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
  cmd->add_option("--samples", o->samples, "write elapsed time and RSS every 100 images to this JSON file");
  cmd->add_flag("--summary", o->summary, "print per-layer patch-token norm statistics");
  cmd->add_flag("--check-finite", o->check_finite, "stop with an error naming the first tensor holding NaN/Inf");
  add_tt_options(cmd, o->tt, true);
  add_model_options(cmd, o->load);
  cmd->callback([o] { run_trace(*o); });
}

const CommandRegistrar kRegistrar(20, add_trace_command);
}  // namespace

}  // namespace ss::cli
