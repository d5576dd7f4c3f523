// sinkscope bench vit MODEL: warm, steady-state forward latency per dtype, with a quality check
// against float32 in the same run (a fast wrong answer is not a result).
#include <ATen/Parallel.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>

#include "commands.h"
#include "nn/kv_cache.h"
#include "nn/runtime.h"
#include "nn/vit_inputs.h"
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

  nlohmann::json rows = nlohmann::json::array();
  at::Tensor pixels, reference;  // reference: float32 output of the first f32 row, for the quality column
  nlohmann::json model_info;
  for (const auto& d : dtypes) {
    // A fresh load per dtype: casting bf16 weights back to f32 would not restore them.
    LoadedVit lv = load_vit(o.model, o.load, d);
    model_info = nn::to_json(lv.checkpoint.config);
    if (!pixels.defined()) {  // after the first load: --resolution is checked against the patch, and a
                              // model that does not load prints its error line and nothing else
      nn::check_resolution(o.resolution, lv.model->config());
      at::manual_seed(o.seed);
      pixels = at::randn({o.batch, 3, o.resolution[0], o.resolution[1]});
      std::printf("%-6s %5s %9s %10s %10s %8s %9s\n", "dtype", "batch", "threads", "ms/image", "images/s", "reps",
                  "cos(f32)");
    }
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

struct LmBenchOptions {
  std::string model, json_out, sizes = "256,1024,4096", policies = "dense,window,sink,recompute";
  int64_t pp = 512, tg = 128, steps = 16;
  int reps = 3;
  uint64_t seed = 0;
};

double median_of(const std::function<double()>& once, int reps) {
  std::vector<double> v;
  for (int i = 0; i < reps; ++i) v.push_back(once());
  return median(v);
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// llama-bench-style rows: prompt processing (pp), text generation (tg), and per-token decode cost of
// each cache policy once its cache holds C entries (sink:4+(C-4), window:C, recompute:C, dense at C).
void run_lm_bench(const LmBenchOptions& o) {
  if (o.pp <= 0 || o.tg <= 0 || o.steps <= 0 || o.reps <= 0) throw UsageError("--pp, --tg, --steps, --reps must be > 0");
  // Both lists are checked before the model loads, not after minutes of pp/tg rows.
  std::vector<int64_t> sizes;
  for (const auto& size_text : split_csv(o.sizes)) {
    char* end = nullptr;
    const int64_t C = std::strtoll(size_text.c_str(), &end, 10);
    if (*end || C < 8 || C > (1 << 20)) throw UsageError("--cache-sizes: '" + size_text + "' is not a size in 8..2^20");
    sizes.push_back(C);
  }
  const std::vector<std::string> kinds = split_csv(o.policies);
  for (const auto& kind : kinds)
    if (kind != "dense" && kind != "window" && kind != "sink" && kind != "recompute")
      throw UsageError("--policies: '" + kind + "' is not one of dense, window, sink, recompute");
  LoadedLm lm = load_lm(o.model);
  const nn::DecoderLM& m = *lm.model;
  const auto& c = lm.checkpoint.config;
  at::manual_seed(o.seed);
  auto random_ids = [&c](int64_t n) { return at::randint(0, c.vocab, {1, n}, at::kLong); };
  nn::Hooks none;
  nlohmann::json rows = nlohmann::json::array();
  std::printf("%-22s %8s %12s %12s\n", "test", "tokens", "tok/s", "ms/token");
  auto row = [&rows](const std::string& test, int64_t tokens, double secs) {
    std::printf("%-22s %8lld %12.1f %12.3f\n", test.c_str(), static_cast<long long>(tokens), tokens / secs,
                1000 * secs / tokens);
    std::fflush(stdout);
    rows.push_back({{"test", test}, {"tokens", tokens}, {"seconds_median", secs}, {"tokens_per_s", tokens / secs}});
  };
  row("pp" + std::to_string(o.pp), o.pp, median_of([&] {
        nn::KVCache cache(c.layers);
        const auto t0 = std::chrono::steady_clock::now();
        m.forward(random_ids(o.pp), at::arange(o.pp, at::kLong), &cache, none);
        return seconds_since(t0);
      }, o.reps));
  row("tg" + std::to_string(o.tg), o.tg, median_of([&] {
        nn::KVCache cache(c.layers);
        const auto t0 = std::chrono::steady_clock::now();
        for (int64_t t = 0; t < o.tg; ++t) m.forward(random_ids(1), at::full({1}, t, at::kLong), &cache, none);
        return seconds_since(t0);
      }, o.reps));
  for (const int64_t C : sizes) {
    const std::string size_text = std::to_string(C);
    if (c.pos == nn::PosKind::Learned && C + o.steps > c.max_positions) {
      std::printf("%-22s skipped: beyond the %lld learned positions\n", ("cache " + size_text).c_str(),
                  static_cast<long long>(c.max_positions));
      continue;
    }
    for (const auto& kind : kinds) {
      const std::string spec = kind == "dense"    ? "dense"
                               : kind == "sink"   ? "sink:4+" + std::to_string(C - 4)
                               : kind == "window" ? "window:" + std::to_string(C)
                                                  : kind + ":" + std::to_string(C);
      const nn::CachePolicy p = nn::CachePolicy::parse(spec);
      const bool recompute = p.kind == nn::CachePolicy::Recompute;
      const int64_t steps = recompute ? std::max<int64_t>(1, o.steps / 4) : o.steps;
      const double secs = median_of([&] {
        nn::KVCache cache(c.layers);
        const at::Tensor ctx = random_ids(C);
        if (!recompute) m.forward(ctx, at::arange(C, at::kLong), &cache, none);
        cache.trim(p, m.rope());
        const auto t0 = std::chrono::steady_clock::now();
        for (int64_t t = 0; t < steps; ++t) {
          if (recompute) {
            m.forward(ctx, at::arange(C, at::kLong), nullptr, none);  // rebuild the whole window per token
          } else {
            m.forward(random_ids(1), at::full({1}, cache.length(), at::kLong), &cache, none);
            cache.trim(p, m.rope());
          }
        }
        return seconds_since(t0);
      }, o.reps);
      row(p.name() + " @" + size_text, steps, secs);
    }
  }
  if (!o.json_out.empty()) {
    std::ofstream f(o.json_out);
    if (!f) throw Error(o.json_out + ": cannot write");
    f << nlohmann::json{{"model", o.model}, {"config", nn::to_json(c)}, {"threads", nn::num_threads()},
                        {"cpu", nn::cpu_description()}, {"rows", rows}}.dump(2)
      << "\n";
  }
}

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
  cmd->add_option("--seed", o->seed, "seed for the random input")->check(at_least(0));
  cmd->add_option("--json", o->json_out, "also write the results as JSON");
  add_model_options(cmd, o->load);
  cmd->callback([o] { run_vit_bench(*o); });

  auto* lm = bench->add_subcommand("lm", "Decoder LM throughput: pp, tg, and per-token cost of each cache policy");
  lm->footer(
      "Example:\n  sinkscope init configs/llama-124m.json --out /tmp/llama124m && \\\n"
      "  sinkscope bench lm /tmp/llama124m --cache-sizes 256,1024,4096 --json bench-lm.json");
  auto l = std::make_shared<LmBenchOptions>();
  lm->add_option("MODEL", l->model, "HF folder or llama2.c .bin")->required();
  lm->add_option("--pp", l->pp, "prompt tokens for the pp row")->capture_default_str();
  lm->add_option("--tg", l->tg, "generated tokens for the tg row")->capture_default_str();
  lm->add_option("--cache-sizes", l->sizes, "cache sizes C for the policy rows")->capture_default_str();
  lm->add_option("--policies", l->policies, "dense,window,sink,recompute")->capture_default_str();
  lm->add_option("--steps", l->steps, "timed decode steps per policy row (recompute: a quarter)")->capture_default_str();
  lm->add_option("--reps", l->reps, "repetitions (median reported)")->capture_default_str();
  lm->add_option("--json", l->json_out, "also write the results as JSON");
  lm->callback([l] { run_lm_bench(*l); });
}

const CommandRegistrar kRegistrar(90, add_bench_command);

}  // namespace

}  // namespace ss::cli
