// What `sinkscope train lm --config FILE` reads: a Llama-style model, its data and the optimiser.
//
//   {"model": {"dim": 64, "layers": 2, "heads": 1, "kv_heads": 1, "ffn_hidden": 256,
//              "max_positions": 256, "rope_theta": 10000, "norm_eps": 1e-5, "tied_embeddings": false,
//              "attention": "softmax", "sigmoid_bias": -4.85},
//    "data":  {"kind": "bigram-backcopy", ...} | {"kind": "text", ...}   (train/dataset.h),
//    "train": {"steps": 800, "batch": 64, "seq_len": 128, "accum": 1, "lr": 3e-3, "min_lr": 3e-4,
//              "warmup": 50, "weight_decay": 0.1, "beta1": 0.9, "beta2": 0.95, "eps": 1e-8,
//              "grad_clip": 1.0, "dtype": "f32" | "bf16", "eval_every": 100, "eval_batches": 4,
//              "checkpoint_every": 100, "log_every": 10, "seed": 0}}
//
// The vocabulary comes from the data. "attention" is one of the variants of nn/decoder_config.h;
// sink_token reserves one extra embedding row (id = data vocabulary size). sigmoid_bias defaults
// to -ln(the training context length), Ramapuram et al.'s b = -ln n with n fixed at training time,
// so cached decoding computes exactly what training did.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "nn/decoder_config.h"

namespace ss::train {

struct OptimConfig {
  int64_t steps = 1000, batch = 32, seq_len = 128, accum = 1;
  double lr = 1e-3, min_lr = 1e-4;
  int64_t warmup = 100;
  double weight_decay = 0.1, beta1 = 0.9, beta2 = 0.95, eps = 1e-8, grad_clip = 1.0;
  bool bf16 = false;  // bf16 autocast for matmuls; master weights and optimiser state stay f32
  int64_t eval_every = 100, eval_batches = 4, checkpoint_every = 100, log_every = 10;
  uint64_t seed = 0;
};

struct TrainConfig {
  nlohmann::json model;  // the "model" object as written
  nlohmann::json data;   // the "data" object (train/dataset.h)
  OptimConfig optim;
  std::string file;      // where it came from (for messages and relative data paths)

  // Parses and validates; throws ss::Error "<file>: <section>.<key>: expected ..." on bad input.
  static TrainConfig from_json(const nlohmann::json& j, const std::string& file);
  static TrainConfig from_file(const std::string& path);  // .json, or .yaml/.yml
  nlohmann::json to_json() const;
};

// The Hugging Face config.json (model_type llama + sinkscope_* attention fields) of the model to
// train on data with `data_vocab` ids and BOS `bos`.
nlohmann::json hf_config_for(const TrainConfig& c, int64_t data_vocab, std::optional<int64_t> bos);

// Learning rate at `step` (0-based): linear warm-up from lr/warmup to lr, then cosine down to
// min_lr at the last step.
double learning_rate(const OptimConfig& o, int64_t step);

}  // namespace ss::train
