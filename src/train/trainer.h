// The training loop of `sinkscope train lm`: a Llama-style decoder (the LM engine's own forward
// pass, with autograd) on a TokenDataset, AdamW with warm-up + cosine, gradient accumulation and
// clipping, optional bf16 autocast, data parallelism over c10d/Gloo, periodic evaluation and
// checkpoints in the Hugging Face layout that every sinkscope command loads.
//
// Output folder (also the resume point):
//   config.json, model.safetensors, tokenizer files   the model (llama layout + sinkscope_* fields)
//   resume.safetensors                                 weights + AdamW moments + step: exact resume,
//                                                      one file, so a kill at any instant is safe
//   trainer_state.json                                 the step, tokens and time, readable
//   train_config.json, metrics.jsonl, README.md        the run: config, log, model card
// Sequences are a pure function of (data seed, index) and the step fixes the indices, so a resumed
// run reproduces the unbroken run's losses bit for bit (same threads, same world size).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "train/distributed.h"
#include "train/train_config.h"

namespace ss::train {

struct TrainOptions {
  std::string out;                  // output folder
  bool resume = false;              // continue from the checkpoint in `out`
  std::optional<int64_t> stop_at;   // stop (with a checkpoint) after this step, as if interrupted
  const std::atomic<bool>* interrupt = nullptr;  // set by a signal handler: checkpoint and stop
  bool progress = true;             // progress bar on a terminal (rank 0)
};

struct TrainResult {
  int64_t steps = 0;                // steps completed in total
  double last_loss = 0, val_loss = 0;
  double tokens_per_s = 0;          // this run's training throughput (all ranks)
  bool interrupted = false;
};

TrainResult train_lm(const TrainConfig& config, const TrainOptions& options, Distributed& dist);

}  // namespace ss::train
