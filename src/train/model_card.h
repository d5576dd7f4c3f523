// The files that make a training output folder a self-describing model: the tokenizer the data
// used (so every sinkscope command finds it beside the weights) and a README.md model card.
#pragma once

#include <cstdint>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "train/train_config.h"

namespace ss::train {

// From a dataset's describe(): "byte" -> a tokenizer.json (byte-level, text::byte_tokenizer_json);
// a tokenizer file or folder -> copied under the name the LM engine looks for (tokenizer.json,
// tokenizer.model, vocab.json + merges.txt, tokenizer.bin); synthetic data -> nothing.
void write_tokenizer_files(const nlohmann::json& data_description, const std::filesystem::path& out);

struct CardNumbers {
  int64_t steps = 0, tokens = 0;
  double seconds = 0, train_loss = 0, val_loss = 0;
};

// README.md: architecture, attention variant, data, optimiser, steps, tokens, losses, and the
// command that continues or reproduces the run.
void write_model_card(const std::filesystem::path& out, const TrainConfig& config, const nlohmann::json& hf_config,
                      const nlohmann::json& data_description, const CardNumbers& numbers);

}  // namespace ss::train
