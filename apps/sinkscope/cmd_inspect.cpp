// sinkscope inspect MODEL IMAGES|DIR --out DIR: where the high-norm artifact tokens are, how bad they
// are, and (with --tt-registers) the same model with test-time registers side by side.
// sinkscope inspect LM --text FILE --out DIR: attention sinks, F-Attn, norms and massive activations
// of a decoder LM on a probe set (llm-sinks.md §6).
#include <nlohmann/json.hpp>
#include <torch/version.h>

#include <cstdio>
#include <memory>
#include <optional>

#include "commands.h"
#include "fix/register_neurons.h"
#include "fix/tt_registers.h"
#include "io/mmap_file.h"
#include "nn/finite_check.h"
#include "probe/inspect.h"
#include "probe/lm_sinks.h"
#include "probe/probe_sets.h"
#include "probe_cli.h"
#include "report/inspect_report.h"
#include "nn/lm_inputs.h"
#include "report/lm_report.h"
#include "util/error.h"
#include "util/memory_budget.h"
#include "util/progress.h"

namespace ss::cli {

namespace {

struct InspectCli {
  std::string model, out, dtype = "f32";
  std::vector<std::string> inputs;
  std::vector<int> resolution;
  std::optional<int64_t> detect_layer;
  int64_t batch = 8, max_images = 8;
  std::optional<double> threshold;
  bool no_attention = false, check_finite = false;
  TtCliOptions tt;
  nn::VitLoadOptions load;
  // Language models.
  std::string text, tokenizer, probe = "natural", ids;
  int64_t seq_len = 64, num_seqs = 100;
  double epsilon = 0.3;
  uint64_t seed = 0;
  bool no_bos = false;
};

// Flags of one model kind given for the other: a usage error naming the first one.
void reject_flags(const CLI::App* cmd, const std::vector<std::string>& flags, const std::string& why) {
  for (const auto& f : flags)
    if (cmd->count(f) > 0) throw UsageError(f + " " + why);
}

const std::vector<std::string> kVitFlags = {"--detect-layer", "--norm-threshold", "--max-images", "--no-attention",
                                            "--resolution",   "--tt-registers",   "--num-registers", "--tt-mode",
                                            "--model-args",   "--act"};
const std::vector<std::string> kLmFlags = {"--text", "--tokenizer", "--probe", "--seq-len",
                                           "--num-seqs", "--epsilon", "--seed", "--no-bos", "--ids"};

// --ids FILE: probe sequences as given (one per line, e.g. `sinkscope data sample`), after the
// model's sink token when it has one; all of one length, ids inside the vocabulary.
probe::ProbeSet probe_set_from_ids(const std::string& file, const nn::DecoderConfig& cfg, int64_t max_count) {
  probe::ProbeSet set;
  const std::vector<int64_t> prefix = nn::model_prefix(cfg);
  for (auto& line : nn::read_id_lines(file)) {
    if (static_cast<int64_t>(set.sequences.size()) == max_count) break;
    std::vector<int64_t> seq = prefix;
    seq.insert(seq.end(), line.begin(), line.end());
    if (!set.sequences.empty() && seq.size() != set.sequences.front().size())
      throw Error(file + ": line " + std::to_string(set.sequences.size() + 1) + " has " + std::to_string(line.size()) +
                  " ids, the first line " + std::to_string(set.sequences.front().size() - prefix.size()));
    for (int64_t id : seq)
      if (id >= cfg.vocab) throw Error(file + ": id " + std::to_string(id) + " is outside the model's vocabulary");
    if (seq.size() < 2) throw Error(file + ": sequences need at least 2 ids");
    set.sequences.push_back(std::move(seq));
  }
  if (set.sequences.empty()) throw Error(file + ": no sequences (one line of whitespace-separated ids each)");
  set.hash = probe::fnv1a_hash(set.sequences);
  return set;
}

// The BOS a tokenizer puts before a single sequence by default (Gu et al. keep it for open models),
// else the model config's; none when neither has one.
std::optional<int64_t> default_bos(const text::Tokenizer* tok, const nn::DecoderConfig& cfg) {
  if (!tok) return cfg.bos ? std::optional<int64_t>(*cfg.bos) : std::nullopt;
  const std::vector<int32_t> with = tok->encode("a", true), without = tok->encode("a", false);
  if (with.size() > without.size() && tok->bos_id() && with.front() == *tok->bos_id()) return *tok->bos_id();
  return std::nullopt;
}

void run_lm_inspect(const InspectCli& o, const CLI::App* cmd) {
  reject_flags(cmd, kVitFlags, "applies to vision models; " + o.model + " is a language model");
  if (!o.inputs.empty())
    throw UsageError(o.model + " is a language model: give --text FILE (or --probe random|repeat), not images");
  if (!o.ids.empty()) {
    for (const char* f : {"--text", "--probe", "--no-bos", "--seq-len"})
      if (cmd->count(f)) throw UsageError(std::string(f) + " does not apply with --ids (the file holds the sequences)");
  }
  probe::ProbeSetOptions po;
  po.kind = probe::probe_kind_from_name(o.probe);
  po.seq_len = o.seq_len, po.count = o.num_seqs, po.seed = o.seed;
  if (o.ids.empty() && po.kind == probe::ProbeKind::Natural && o.text.empty())
    throw UsageError("--probe natural needs --text FILE (or use --probe random|repeat, or --ids FILE)");
  if (po.kind != probe::ProbeKind::Natural && !o.text.empty()) throw UsageError("--text is read by --probe natural only");
  if (!o.text.empty()) io::MmapFile::open(o.text);  // before the model loads: names a missing file or a directory
  if (o.seq_len < 2) throw UsageError("--seq-len must be >= 2, got " + std::to_string(o.seq_len));
  if (o.num_seqs <= 0) throw UsageError("--num-seqs must be > 0, got " + std::to_string(o.num_seqs));
  if (o.batch <= 0) throw UsageError("--batch must be > 0, got " + std::to_string(o.batch));
  if (!(o.epsilon > 0 && o.epsilon < 1)) throw UsageError("--epsilon must be in (0, 1)");
  if (o.dtype != "f32") throw UsageError("--dtype: language models run in f32 for now");

  LoadedLm lm = load_lm(o.model);
  const nn::DecoderConfig& cfg = lm.model->config();
  std::unique_ptr<text::Tokenizer> tok;
  std::optional<int64_t> bos;
  probe::ProbeSet set;
  if (!o.ids.empty()) {
    set = probe_set_from_ids(o.ids, cfg, o.num_seqs);
    po.prefix = nn::model_prefix(cfg);
    po.count = static_cast<int64_t>(set.sequences.size());
    const int64_t first = set.sequences.front()[po.prefix.size()];
    if (cfg.bos && first == *cfg.bos) bos = first;
  } else {
    if (po.kind == probe::ProbeKind::Natural || !o.tokenizer.empty() || !lm.checkpoint.tokenizer.empty())
      tok = load_lm_tokenizer(lm.checkpoint, o.tokenizer);
    bos = o.no_bos ? std::nullopt : default_bos(tok.get(), cfg);
    po.prefix = nn::model_prefix(cfg);  // the learned sink token (StreamingLLM §3.3), when the model has one
    if (bos) po.prefix.push_back(*bos);
    po.exclude = po.prefix;
    for (const auto& id : {tok ? tok->bos_id() : cfg.bos, tok ? tok->eos_id() : cfg.eos})
      if (id) po.exclude.push_back(*id);
    std::vector<int64_t> text_ids;
    if (po.kind == probe::ProbeKind::Natural)
      text_ids = probe::tokenize_file_start(o.text, *tok, po.count * (po.seq_len - static_cast<int64_t>(po.prefix.size())));
    set = probe::make_probe_set(po, cfg.vocab, text_ids);
  }

  Progress bar("inspect", po.count, "seq");
  int64_t shown = 0;
  probe::LmSinkOptions so;
  so.epsilon = o.epsilon;
  so.batch = o.batch;
  if (o.check_finite) so.install = nn::install_finite_check;
  // One batch forward with the probs the sink metrics read (docs/reliability.md).
  const double seq_len = static_cast<double>(set.sequences.front().size());
  require_memory("inspect of " + std::to_string(std::min(o.batch, po.count)) + " sequence(s) of " +
                     std::to_string(static_cast<int64_t>(seq_len)) + " tokens",
                 transformer_forward_bytes(static_cast<double>(std::min(o.batch, po.count)), seq_len,
                                           static_cast<double>(cfg.dim), static_cast<double>(cfg.ffn_hidden),
                                           static_cast<double>(cfg.heads), true, 4));
  so.progress = [&](int64_t done) {
    bar.advance(done - shown);
    shown = done;
  };
  const probe::LmSinkResult r = probe::measure_lm_sinks(*lm.model, set.sequences, so);
  bar.finish();

  report::LmReportContext ctx;
  ctx.model = o.model;
  ctx.arch = cfg.arch;
  ctx.probe = o.ids.empty() ? probe::probe_kind_name(po.kind) : "ids";
  ctx.text = o.ids.empty() ? o.text : o.ids;
  ctx.tokenizer = tok ? tok->kind() : "";
  ctx.probe_hash = set.hash;
  ctx.seed = o.seed;
  ctx.bos = bos.has_value();
  ctx.prefix_tokens = static_cast<int64_t>(po.prefix.size());
  report::write_lm_report(o.out, r, ctx);
  std::printf("%s\n", probe::lm_verdict(r).c_str());
  std::fflush(stdout);
  std::fprintf(stderr, "wrote %s/report.html and report.json\n", o.out.c_str());
}

void run_inspect(const InspectCli& o, const CLI::App* cmd) {
  if (nn::is_decoder_checkpoint(o.model)) return run_lm_inspect(o, cmd);
  reject_flags(cmd, kLmFlags, "is for language models; " + o.model + " is not one");
  const std::vector<std::string> images = collect_images(o.inputs);
  if (o.max_images < 0) throw UsageError("--max-images must be >= 0");
  LoadedVit lv = load_vit(o.model, o.load, o.dtype);
  const nn::VisionTransformer& model = *lv.model;
  probe::InspectOptions io;
  // Default: the paper's detection layer for the family (DINOv2-L/14: -2, Jiang A.12), else the last block.
  io.detect_layer = o.detect_layer ? *o.detect_layer : fix::family_defaults(model.config()).detect_layer.value_or(-1);
  io.threshold = o.threshold;
  io.batch = o.batch;
  io.attention = !o.no_attention;
  io.keep_images = o.max_images;
  io.resolution = o.resolution;
  {  // Refuse an absurd --resolution/--batch up front: one batch forward plus its pixels (docs/reliability.md).
    const int64_t side = model.config().native_resolution();
    const double h = o.resolution.empty() ? side : o.resolution[0], w = o.resolution.empty() ? side : o.resolution[1];
    const double b = static_cast<double>(std::min<int64_t>(o.batch, static_cast<int64_t>(images.size())));
    const double t = static_cast<double>(model.config().num_tokens(static_cast<int64_t>(h), static_cast<int64_t>(w)));
    // Torch 1.x has no fused attention: the T x T matrix exists even with --no-attention.
    const bool matrix = io.attention || TORCH_VERSION_MAJOR < 2;
    require_memory("inspect at " + std::to_string(static_cast<int64_t>(h)) + "x" + std::to_string(static_cast<int64_t>(w)) +
                       " (" + std::to_string(static_cast<int64_t>(t)) + " tokens, batch " + std::to_string(int64_t(b)) + ")",
                   transformer_forward_bytes(b, t, static_cast<double>(model.config().dim),
                                             static_cast<double>(model.config().mlp_hidden),
                                             static_cast<double>(model.config().heads), matrix, o.dtype == "bf16" ? 2 : 4) +
                       b * 3 * h * w * 4);
  }
  std::vector<probe::Variant> variants{probe::Variant{}};
  if (o.check_finite) variants[0].install = nn::install_finite_check;
  report::ReportContext ctx;
  ctx.model = o.model;
  ctx.family = nn::family_name(model.config().family);
  ctx.inputs = images;
  if (o.tt.enabled()) {
    {  // validate the neuron file and flags before the long run
      nn::Hooks probe_hooks;
      install_tt(probe_hooks, model, o.tt);
    }
    probe::Variant v;
    v.name = "tt_registers";
    v.extra_tokens = o.tt.num_registers;
    const TtCliOptions tt = o.tt;
    v.install = [&model, tt, check = o.check_finite](nn::Hooks& h) {
      install_tt(h, model, tt);
      if (check) nn::install_finite_check(h);  // after the edit: checks what the forward continues with
    };
    variants.push_back(v);
    ctx.fix = {{"neurons", o.tt.neurons}, {"mode", o.tt.mode}, {"num_registers", o.tt.num_registers}};
    nlohmann::json used = nlohmann::json::object();
    for (const auto& kv : fix::load_register_neurons(o.tt.neurons, model.config().depth, model.config().mlp_hidden))
      used[std::to_string(kv.first)] = kv.second;
    ctx.fix["register_neurons"] = used;
  }
  const probe::InspectRun run = probe::inspect_images(model, images, io, variants);
  report::write_inspect_report(o.out, run, ctx);
  std::printf("%s\n", probe::verdict(run.variants[0]).c_str());
  if (run.variants.size() > 1) {
    const auto& tt = run.variants[1];
    std::printf("with test-time registers: %.1f%% above the threshold, max/median %.2f at layer %lld",
                100 * tt.outlier_fraction, tt.layers[static_cast<size_t>(tt.detect_layer)].max_median_ratio,
                static_cast<long long>(tt.detect_layer));
    if (run.change)
      std::printf("; ordinary patches' features: mean cosine %.4f to the original", run.change->mean_cosine_ordinary);
    std::printf("\n");
  }
  std::fflush(stdout);
  std::fprintf(stderr, "wrote %s/report.html and report.json\n", o.out.c_str());
}

void add_inspect_command(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("inspect", "Find high-norm artifact tokens (ViTs) or attention sinks and massive activations (LMs)");
  cmd->footer(
      "Writes DIR/report.html (read this first), DIR/report.json (schema: docs/inspect.md) and PNG heatmaps.\n"
      "Norms are measured on the residual stream before the final norm. Outliers: patch norm above\n"
      "--norm-threshold (default mean + 3 std of patch norms at --detect-layer). Layers are 0-indexed;\n"
      "negative values count from the end (-1 = last block).\n"
      "Language models (docs/inspect.md): per layer/head attention importance alpha_k and Sink_k^eps (Gu et al.),\n"
      "F-Attn, hidden/key/value norms per position, massive activations (Sun et al.), gate statistics, on\n"
      "--num-seqs probe sequences of --seq-len tokens (BOS first when the tokenizer adds one; --no-bos).\n"
      "Example:\n  sinkscope inspect ~/models/dinov2-large photos/ --out out/inspect --detect-layer -2\n"
      "  sinkscope inspect model planted/images --out out/tt --tt-registers neurons.json\n"
      "  sinkscope inspect stories260K.bin --tokenizer tok512.bin --text tinystories_val.txt --out out/lm\n"
      "  sinkscope inspect ~/models/SmolLM2-135M --probe random --seed 1 --out out/lm-random\n"
      "  sinkscope data sample models/bb-softmax -n 100 --length 64 --out p.txt\n"
      "  sinkscope inspect models/bb-softmax --ids p.txt --out out/bb");
  auto o = std::make_shared<InspectCli>();
  cmd->add_option("MODEL", o->model, "checkpoint (any format `info` accepts)")->required();
  cmd->add_option("INPUT", o->inputs, "image files or directories of .png/.jpg images (vision models)");
  cmd->add_option("--out", o->out, "output directory")->required();
  cmd->add_option_function<int64_t>(
      "--detect-layer", [o](int64_t l) { o->detect_layer = l; },
      "block whose output defines the outliers (default -1; -2 for DINOv2-L/14, whose last block lowers the max norm)");
  cmd->add_option_function<double>(
      "--norm-threshold", [o](double t) { o->threshold = t; }, "outlier threshold on the patch norm (tau)")
      ->check(at_least(0, false));
  cmd->add_option("--batch", o->batch, "images (LMs: probe sequences) per forward")->capture_default_str();
  cmd->add_option("--max-images", o->max_images, "images drawn in the HTML report")->capture_default_str();
  cmd->add_flag("--no-attention", o->no_attention, "skip attention statistics (faster on large models)");
  add_check_finite_flag(cmd, o->check_finite);
  cmd->add_option("--resolution", o->resolution, "resize images to H W (multiples of the patch), no crop")->expected(2);
  cmd->add_option("--dtype", o->dtype, "compute dtype: f32 | bf16")->capture_default_str();
  add_tt_options(cmd, o->tt, false);
  add_model_options(cmd, o->load);
  cmd->add_option("--text", o->text, "LMs: text file for --probe natural (consecutive chunks)");
  cmd->add_option("--tokenizer", o->tokenizer, "LMs: tokenizer file or folder (default: beside the model)");
  cmd->add_option("--probe", o->probe, "LMs: probe set natural | random | repeat (Gu et al. Table 1)")
      ->capture_default_str();
  cmd->add_option("--seq-len", o->seq_len, "LMs: tokens per probe sequence (T, BOS included)")->capture_default_str();
  cmd->add_option("--num-seqs", o->num_seqs, "LMs: probe sequences")->capture_default_str();
  cmd->add_option("--epsilon", o->epsilon, "LMs: a head has a sink on k when alpha_k > eps")->capture_default_str();
  cmd->add_option("--seed", o->seed, "LMs: seed of --probe random|repeat")
      ->capture_default_str()
      ->check(at_least(0));
  cmd->add_flag("--no-bos", o->no_bos, "LMs: do not start the sequences with BOS");
  cmd->add_option("--ids", o->ids, "LMs: probe sequences from a file, one line of ids each (`sinkscope data sample`)");
  cmd->callback([o, cmd] { run_inspect(*o, cmd); });
}

const CommandRegistrar kRegistrar(30, add_inspect_command);

}  // namespace

}  // namespace ss::cli
