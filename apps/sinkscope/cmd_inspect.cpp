// sinkscope inspect MODEL IMAGES|DIR --out DIR: where the high-norm artifact tokens are, how bad they
// are, and (with --tt-registers) the same model with test-time registers side by side.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>
#include <optional>

#include "commands.h"
#include "fix/register_neurons.h"
#include "fix/tt_registers.h"
#include "probe/inspect.h"
#include "probe_cli.h"
#include "report/inspect_report.h"
#include "util/error.h"

namespace ss::cli {

namespace {

struct InspectCli {
  std::string model, out, dtype = "f32";
  std::vector<std::string> inputs;
  std::vector<int> resolution;
  std::optional<int64_t> detect_layer;
  int64_t batch = 8, max_images = 8;
  std::optional<double> threshold;
  bool no_attention = false;
  TtCliOptions tt;
  nn::VitLoadOptions load;
};

void run_inspect(const InspectCli& o) {
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
  std::vector<probe::Variant> variants{probe::Variant{}};
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
    v.install = [&model, tt](nn::Hooks& h) { install_tt(h, model, tt); };
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
      app.add_subcommand("inspect", "Find the high-norm artifact tokens: per-layer norms, outliers, attention sinks");
  cmd->footer(
      "Writes DIR/report.html (read this first), DIR/report.json (schema: docs/inspect.md) and PNG heatmaps.\n"
      "Norms are measured on the residual stream before the final norm. Outliers: patch norm above\n"
      "--norm-threshold (default mean + 3 std of patch norms at --detect-layer). Layers are 0-indexed;\n"
      "negative values count from the end (-1 = last block).\n"
      "Example:\n  sinkscope inspect ~/models/dinov2-large photos/ --out out/inspect --detect-layer -2\n"
      "  sinkscope inspect model planted/images --out out/tt --tt-registers neurons.json");
  auto o = std::make_shared<InspectCli>();
  cmd->add_option("MODEL", o->model, "checkpoint (any format `info` accepts)")->required();
  cmd->add_option("INPUT", o->inputs, "image files or directories of .png/.jpg images")->required();
  cmd->add_option("--out", o->out, "output directory")->required();
  cmd->add_option_function<int64_t>(
      "--detect-layer", [o](int64_t l) { o->detect_layer = l; },
      "block whose output defines the outliers (default -1; -2 for DINOv2-L/14, whose last block lowers the max norm)");
  cmd->add_option_function<double>(
      "--norm-threshold", [o](double t) { o->threshold = t; }, "outlier threshold on the patch norm (tau)");
  cmd->add_option("--batch", o->batch, "images per forward")->capture_default_str();
  cmd->add_option("--max-images", o->max_images, "images drawn in the HTML report")->capture_default_str();
  cmd->add_flag("--no-attention", o->no_attention, "skip attention statistics (faster on large models)");
  cmd->add_option("--resolution", o->resolution, "resize images to H W (multiples of the patch), no crop")->expected(2);
  cmd->add_option("--dtype", o->dtype, "compute dtype: f32 | bf16")->capture_default_str();
  add_tt_options(cmd, o->tt, false);
  add_model_options(cmd, o->load);
  cmd->callback([o] { run_inspect(*o); });
}

const CommandRegistrar kRegistrar(30, add_inspect_command);

}  // namespace

}  // namespace ss::cli
