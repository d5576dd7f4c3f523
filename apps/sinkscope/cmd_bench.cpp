// sinkscope bench vit MODEL: warm, steady-state forward latency per dtype, with a quality check
// against float32 in the same run (a fast wrong answer is not a result).
#include <ATen/Parallel.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "commands.h"
#include "nn/runtime.h"
#include "util/error.h"

namespace ss::cli {

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct BenchOptions {
  std::string model, dtypes = "f32,bf16", json_out;
  int batch = 8, reps = 5, warmup = 1;
  std::vector<int> resolution{224, 224};
  uint64_t seed = 0;
  nn::VitLoadOptions load;
};

void run_vit_bench(const BenchOptions& o) {
  if (o.batch <= 0 || o.reps <= 0 || o.warmup < 0) throw UsageError("--batch and --reps must be > 0, --warmup >= 0");
  const auto dtypes = split_csv(o.dtypes);
  if (dtypes.empty()) throw UsageError("--dtype: expected a list such as f32,bf16");
  for (const auto& d : dtypes) parse_dtype("--dtype", d);

  at::manual_seed(o.seed);
  const at::Tensor pixels = at::randn({o.batch, 3, o.resolution[0], o.resolution[1]});
  nlohmann::json rows = nlohmann::json::array();
  at::Tensor reference;  // float32 output of the first f32 row, for the quality column
  std::printf("%-6s %5s %9s %10s %10s %8s %9s\n", "dtype", "batch", "threads", "ms/image", "images/s", "reps",
              "cos(f32)");
  nlohmann::json model_info;
  for (const auto& d : dtypes) {
    // A fresh load per dtype: casting bf16 weights back to f32 would not restore them.
    LoadedVit lv = load_vit(o.model, o.load, d);
    model_info = nn::to_json(lv.checkpoint.config);
    nn::Hooks hooks;
    at::Tensor out;
    for (int i = 0; i < o.warmup; ++i) out = lv.model->forward(pixels, hooks).final_norm;
    std::vector<double> ms;
    for (int i = 0; i < o.reps; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      out = lv.model->forward(pixels, hooks).final_norm;
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    out = out.to(at::kFloat);
    if (!reference.defined() && d.find("f32") != std::string::npos) reference = out;
    const double cos = reference.defined()
                           ? at::cosine_similarity(out.flatten(1), reference.flatten(1), 1).min().item<double>()
                           : 1.0;
    const double per_image = median(ms) / o.batch;
    std::printf("%-6s %5d %9d %10.2f %10.2f %8d %9.5f\n", d.c_str(), o.batch, nn::num_threads(), per_image,
                1000.0 / per_image, o.reps, cos);
    rows.push_back({{"dtype", d},
                    {"batch", o.batch},
                    {"threads", nn::num_threads()},
                    {"resolution", o.resolution},
                    {"ms_per_image_median", per_image},
                    {"images_per_s", 1000.0 / per_image},
                    {"samples_ms_per_batch", ms},
                    {"min_cosine_to_f32", cos}});
  }
  if (!o.json_out.empty()) {
    nlohmann::json j = {{"model", o.model},
                        {"config", model_info},
                        {"cpu", nn::cpu_description()},
                        {"cpu_fast_bf16", nn::cpu_has_fast_bf16()},
                        {"mkldnn_bf16", at::hasMKLDNN()},
                        {"rows", rows}};
    std::ofstream f(o.json_out);
    if (!f) throw Error(o.json_out + ": cannot write");
    f << j.dump(2) << "\n";
  }
}

}  // namespace

namespace {
void add_bench_command(CLI::App& app) {
  auto* bench = app.add_subcommand("bench", "Benchmarks (medians over repetitions, quality-checked)");
  bench->require_subcommand(1);
  bench->footer("Example:\n  sinkscope bench vit MODEL --batch 8 --dtype f32,bf16 --json bench.json");
  auto* cmd = bench->add_subcommand("vit", "ViT forward latency per dtype");
  cmd->footer(
      "Example:\n  sinkscope init configs/dinov2-s14.json --out /tmp/s14 && \\\n"
      "  sinkscope bench vit /tmp/s14 --batch 8 --dtype f32,bf16 --json bench.json");
  auto o = std::make_shared<BenchOptions>();
  cmd->add_option("MODEL", o->model, "checkpoint (any format `info` accepts)")->required();
  cmd->add_option("--batch", o->batch, "images per forward")->capture_default_str();
  cmd->add_option("--dtype", o->dtypes, "comma-separated: f32,bf16")->capture_default_str();
  cmd->add_option("--reps", o->reps, "timed repetitions (median reported)")->capture_default_str();
  cmd->add_option("--warmup", o->warmup, "untimed warm-up forwards")->capture_default_str();
  cmd->add_option("--resolution", o->resolution, "input H W (multiples of the patch)")->expected(2);
  cmd->add_option("--seed", o->seed, "seed for the random input");
  cmd->add_option("--json", o->json_out, "also write the results as JSON");
  add_model_options(cmd, o->load);
  cmd->callback([o] { run_vit_bench(*o); });
}

const CommandRegistrar kRegistrar(90, add_bench_command);
}  // namespace

}  // namespace ss::cli
