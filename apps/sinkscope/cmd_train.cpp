// sinkscope train lm --config FILE [--out DIR] [--resume]: grow small language models with any
// attention variant (issue #5), on one process or data-parallel under torchrun-style variables.
#include <cstdio>
#include <filesystem>

#include "commands.h"
#include "nn/runtime.h"
#include "train/trainer.h"
#include "util/error.h"
#include "util/interrupt.h"
#include "util/memory_budget.h"

namespace ss::cli {

namespace {

struct TrainCli {
  std::string config, out, attention;
  bool resume = false;
  int64_t stop_at = -1, steps = 0;
  uint64_t seed = 0;
};

void run_train(const TrainCli& o, const CLI::App* cmd) {
  train::TrainConfig config = train::TrainConfig::from_file(o.config);
  // Flags override the file, and the result is what train_config.json records.
  if (cmd->count("--seed")) config.optim.seed = o.seed;
  if (o.steps > 0) config.optim.steps = o.steps;
  if (!o.attention.empty()) {
    config.model["attention"] = o.attention;
    config = train::TrainConfig::from_json(config.to_json(), o.config);
  }
  {  // One micro-batch's activations + weights/grads/AdamW state (docs/reliability.md); dims are required keys.
    const auto dim = [&config](const char* key) { return config.model.at(key).get<double>(); };
    const double batch = static_cast<double>(config.optim.batch), seq_len = static_cast<double>(config.optim.seq_len);
    require_memory("training with batch " + std::to_string(config.optim.batch) + " x seq_len " +
                       std::to_string(config.optim.seq_len),
                   lm_train_step_bytes(batch, seq_len, dim("layers"), dim("dim"), dim("ffn_hidden"), dim("heads")));
  }
  const std::string out = o.out.empty() ? "out/train/" + std::filesystem::path(o.config).stem().string() : o.out;
  train::Distributed dist = train::Distributed::from_env();
  if (config.optim.bf16 && !nn::cpu_has_fast_bf16() && dist.is_main())
    std::fprintf(stderr, "warning: this CPU has no AVX512-BF16/AMX; bf16 autocast will be much slower than f32\n");
  train::TrainOptions opts;
  opts.out = out;
  opts.resume = o.resume;
  if (o.stop_at >= 0) opts.stop_at = o.stop_at;
  opts.interrupt = &interrupt_flag();
  const train::TrainResult r = train::train_lm(config, opts, dist);
  if (dist.is_main())
    std::printf("%s: %lld steps, loss %.4f, validation loss %.4f, %.0f tokens/s (%d process%s)\n", out.c_str(),
                static_cast<long long>(r.steps), r.last_loss, r.val_loss, r.tokens_per_s, dist.world(),
                dist.world() > 1 ? "es" : "");
  if (r.interrupted)
    throw Interrupted("checkpoint at step " + std::to_string(r.steps) + " in " + out + "; continue with --resume");
}

void add_train_command(CLI::App& app) {
  auto* train = app.add_subcommand("train", "Train small models (attention variants, synthetic or text data)");
  train->require_subcommand(1);
  train->footer("Example:\n  sinkscope train lm --config configs/train/bb-softmax.json --out models/bb-softmax");
  auto* cmd = train->add_subcommand("lm", "Train a Llama-style LM with any attention variant");
  cmd->footer(
      "The config (JSON or YAML) has \"model\", \"data\" and \"train\" objects; see configs/train/ and\n"
      "docs/training.md. Output: a Hugging Face llama folder that every command loads, plus\n"
      "metrics.jsonl, a model card and the state to --resume exactly. Ctrl-C saves a checkpoint (exit 130).\n"
      "Data-parallel: start one process per rank with RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT set.\n"
      "Attention: softmax softmax1 sink_logit sigmoid elu1 gated_elementwise gated_headwise sink_token.\n"
      "Example:\n  sinkscope train lm --config configs/train/bb-softmax.json --out models/bb-softmax\n"
      "  sinkscope train lm --config configs/train/bb-softmax.json --attention gated_elementwise --out /tmp/bb-gated");
  auto o = std::make_shared<TrainCli>();
  cmd->add_option("--config", o->config, "training config (.json, .yaml)")->required();
  cmd->add_option("--out", o->out, "output folder (default out/train/<config name>)");
  cmd->add_flag("--resume", o->resume, "continue the run in --out from its last checkpoint");
  cmd->add_option("--seed", o->seed, "override train.seed (initial weights)")->check(at_least(0));
  cmd->add_option("--steps", o->steps, "override train.steps")->check(CLI::PositiveNumber);
  cmd->add_option("--attention", o->attention, "override model.attention");
  cmd->add_option("--stop-at", o->stop_at, "save a checkpoint and stop after this step (time-boxed runs)")
      ->check(CLI::NonNegativeNumber);
  cmd->callback([o, cmd] { run_train(*o, cmd); });
}

const CommandRegistrar kRegistrar(60, add_train_command);

}  // namespace

}  // namespace ss::cli
