// sinkscope registers find MODEL IMAGES|DIR --out neurons.json: Algorithm 1 of Jiang et al. 2025.
#include <ATen/CPUGeneratorImpl.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>

#include "commands.h"
#include "fix/register_neurons.h"
#include "nn/vit_inputs.h"
#include "probe_cli.h"
#include "util/error.h"

namespace ss::cli {

namespace {

struct FindCli {
  std::string model, out, dtype = "f32";
  std::vector<std::string> inputs;
  std::vector<int> resolution;
  fix::FindOptions find;
  nn::VitLoadOptions load;
};

void run_find(const FindCli& o) {
  const std::vector<std::string> images = collect_images(o.inputs);
  LoadedVit lv = load_vit(o.model, o.load, o.dtype);
  const nn::VisionTransformer& model = *lv.model;
  const auto load = [&](int64_t i, int64_t n) {
    const std::vector<std::string> chunk(images.begin() + i, images.begin() + i + n);
    return nn::load_images(chunk, model.config(), o.resolution);
  };
  const fix::FindResult r = fix::find_register_neurons(model, static_cast<int64_t>(images.size()), load, o.find);
  nlohmann::json j = fix::to_json(r);
  j["settings"]["model"] = o.model;
  std::ofstream f(o.out);
  if (!f) throw Error(o.out + ": cannot write");
  f << j.dump(1) << "\n";
  std::printf("detect layer %lld, threshold %.2f (%s), layers %lld..%lld (%s), %lld of %lld images with outliers\n",
              static_cast<long long>(r.detect_layer), r.threshold, r.threshold_source.c_str(),
              static_cast<long long>(r.lowest_layer), static_cast<long long>(r.top_layer), r.top_layer_source.c_str(),
              static_cast<long long>(r.images_with_outliers), static_cast<long long>(r.images));
  std::printf("%-5s %-6s %-7s %s\n", "rank", "layer", "neuron", "score");
  for (size_t i = 0; i < r.ranked.size(); ++i)
    std::printf("%-5zu %-6lld %-7lld %.4f\n", i + 1, static_cast<long long>(r.ranked[i].layer),
                static_cast<long long>(r.ranked[i].neuron), r.ranked[i].score);
  std::fflush(stdout);
  std::fprintf(stderr, "wrote %s\n", o.out.c_str());
}

void add_registers_command(CLI::App& app) {
  auto* reg = app.add_subcommand("registers", "Test-time registers (Jiang et al. 2025): find register neurons");
  reg->require_subcommand(1);
  reg->footer(
      "Example:\n  sinkscope registers find model images/ --out neurons.json\n"
      "  sinkscope inspect model images/ --out report/ --tt-registers neurons.json\n"
      "  sinkscope registers bench model --tt-registers neurons.json --batch 8");
  auto* cmd = reg->add_subcommand("find", "Rank the MLP neurons that write the high-norm outliers (Algorithm 1)");
  cmd->footer(
      "Scores every MLP neuron (after the nonlinearity) of layers --lowest-layer..--top-layer by its mean "
      "|activation|\n"
      "over each image's outlier patches (norm > --norm-threshold at --detect-layer), averages over the images\n"
      "with outliers and keeps the global top --top-k. Defaults: the paper's for DINOv2-L/14 (-2, 150, 17, 45) and\n"
      "OpenCLIP-B/16 (-1, 75, 5, 10); otherwise detect -1, threshold mean + 3 std, top layer = the first layer\n"
      "where outliers separate, top 10 (paper A.4). Layers are 0-indexed; negative values count from the end.\n"
      "Use the output with `inspect --tt-registers` or `trace --tt-registers`.\n"
      "Example:\n  sinkscope registers find ~/models/dinov2-large imagenet-val/ --out neurons.json\n"
      "  sinkscope registers find model photos/ --detect-layer -2 --norm-threshold 150 --top-layer 17 --top-k 45 "
      "--out n.json");
  auto o = std::make_shared<FindCli>();
  cmd->add_option("MODEL", o->model, "checkpoint (any format `info` accepts)")->required();
  cmd->add_option("INPUT", o->inputs, "image files or directories of .png/.jpg images")->required();
  cmd->add_option("--out", o->out, "output neurons JSON")->required();
  cmd->add_option_function<int64_t>(
      "--detect-layer", [o](int64_t v) { o->find.detect_layer = v; }, "block whose output defines the outliers");
  cmd->add_option_function<double>(
      "--norm-threshold", [o](double v) { o->find.threshold = v; }, "outlier threshold tau on the patch norm")
      ->check(at_least(0, false));
  cmd->add_option_function<int64_t>(
      "--top-layer", [o](int64_t v) { o->find.top_layer = v; }, "highest layer whose neurons are ranked (K)");
  cmd->add_option("--lowest-layer", o->find.lowest_layer, "lowest layer whose neurons are ranked")
      ->capture_default_str();
  cmd->add_option_function<int64_t>(
      "--top-k", [o](int64_t v) { o->find.top_k = v; }, "neurons to keep (N)");
  cmd->add_flag("--sparsity-filter", o->find.sparsity_filter,
                "keep only neurons below 0.5 on at least half of the tokens (official notebook setting)");
  cmd->add_option("--batch", o->find.batch, "images per forward")->capture_default_str();
  cmd->add_option("--resolution", o->resolution, "resize images to H W (multiples of the patch), no crop")->expected(2);
  cmd->add_option("--dtype", o->dtype, "compute dtype: f32 | bf16")->capture_default_str();
  add_model_options(cmd, o->load);
  cmd->callback([o] { run_find(*o); });
}

// Latency of the intervention: the same forward with and without the test-time-register hooks.
void run_bench(const std::string& model_path, const nn::VitLoadOptions& load, const TtCliOptions& tt, int batch,
               int reps, const std::string& dtype) {
  if (batch <= 0 || reps <= 0) throw UsageError("--batch and --reps must be > 0");
  if (!tt.enabled()) throw UsageError("registers bench needs --tt-registers FILE");
  LoadedVit lv = load_vit(model_path, load, dtype);
  const nn::VitConfig& c = lv.model->config();
  const int64_t side = c.preprocess.crop > 0 ? c.preprocess.crop / c.patch * c.patch : c.native_resolution();
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(0);
  const at::Tensor pixels = at::normal(0.0, 1.0, {batch, 3, side, side}, gen);
  nn::Hooks none, with;
  const int64_t R = install_tt(with, *lv.model, tt);
  auto time_one = [&](const nn::Hooks& h) {
    const auto t0 = std::chrono::steady_clock::now();
    lv.model->forward(pixels, h);
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  };
  time_one(none), time_one(with);  // warm-up
  std::vector<double> a, b;
  for (int i = 0; i < reps; ++i) a.push_back(time_one(none)), b.push_back(time_one(with));  // interleaved
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  const double ma = a[a.size() / 2], mb = b[b.size() / 2];
  std::printf(
      "batch %d at %lldx%lld, %d interleaved reps: original median %.2f ms (min %.2f), with %lld test-time "
      "register(s) %.2f ms (min %.2f); overhead median %+.2f%%, min %+.2f%% (target <= 2%%; the extra tokens "
      "alone add %.2f%% of %lld tokens)\n",
      batch, static_cast<long long>(side), static_cast<long long>(side), reps, ma, a.front(), static_cast<long long>(R),
      mb, b.front(), 100 * (mb / ma - 1), 100 * (b.front() / a.front() - 1),
      100.0 * static_cast<double>(R) / static_cast<double>(c.num_tokens(side, side)),
      static_cast<long long>(c.num_tokens(side, side)));
}

void add_bench_subcommand(CLI::App* reg) {
  auto* cmd = reg->add_subcommand("bench", "Latency overhead of test-time registers (same inputs, with and without)");
  cmd->footer(
      "Example:\n  sinkscope registers bench ~/models/dinov2-large --tt-registers neurons.json --batch 8 --reps 10");
  struct Opts {
    std::string model, dtype = "f32";
    int batch = 8, reps = 10;
    TtCliOptions tt;
    nn::VitLoadOptions load;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("MODEL", o->model, "checkpoint (any format `info` accepts)")->required();
  cmd->add_option("--batch", o->batch, "images per forward (random pixels at the eval size)")->capture_default_str();
  cmd->add_option("--reps", o->reps, "timed repetitions of each variant")->capture_default_str();
  cmd->add_option("--dtype", o->dtype, "compute dtype: f32 | bf16")->capture_default_str();
  add_tt_options(cmd, o->tt, false);
  add_model_options(cmd, o->load);
  cmd->callback([o] { run_bench(o->model, o->load, o->tt, o->batch, o->reps, o->dtype); });
}

void add_registers(CLI::App& app) {
  add_registers_command(app);
  add_bench_subcommand(app.get_subcommand("registers"));
}

const CommandRegistrar kRegistrar(40, add_registers);

}  // namespace

}  // namespace ss::cli
