// The sinkscope command line: each command registers itself on the root CLI11 app.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "nn/decoder.h"
#include "nn/decoder_loader.h"
#include "nn/vit.h"
#include "nn/vit_loader.h"
#include "text/tokenizer.h"
#include "train/train_config.h"

namespace ss::cli {

// Each command file registers itself with a file-scope `CommandRegistrar` (the CLI sources are
// compiled into the executable, so every registrar runs); `order` sets the place in --help.
using CommandAdder = void (*)(CLI::App& app);
struct CommandRegistrar {
  CommandRegistrar(int order, CommandAdder add);
};
void add_registered_commands(CLI::App& app);

// --model-args / --act, shared by every command that loads a ViT.
void add_model_options(CLI::App* cmd, nn::VitLoadOptions& opts);
// Loads a checkpoint and builds the model in `dtype` ("f32" | "bf16").
struct LoadedVit {
  nn::VitCheckpoint checkpoint;
  std::unique_ptr<nn::VisionTransformer> model;
};
LoadedVit load_vit(const std::string& path, const nn::VitLoadOptions& opts, const std::string& dtype);
at::ScalarType parse_dtype(const std::string& flag, const std::string& value);
// A number flag's lower bound, said plainly: "--seed: must be >= 0, got -1" (CLI11's NonNegativeNumber
// prints its range with 300 digits, and unsigned options would otherwise take -1 as 2^64 - 1).
CLI::Validator at_least(double min, bool or_equal = true);
// "a,b,,c" -> {"a", "b", "c"}: list-valued flags.
std::vector<std::string> split_csv(const std::string& s);

// Decoder LMs: the model, and its tokenizer from --tokenizer or the files beside the weights.
struct LoadedLm {
  nn::DecoderCheckpoint checkpoint;
  std::unique_ptr<nn::DecoderLM> model;
};
LoadedLm load_lm(const std::string& path);
// The checkpoint alone (tokenize); a vision model is refused with a usage error that says so.
nn::DecoderCheckpoint load_lm_checkpoint(const std::string& path);
std::unique_ptr<text::Tokenizer> load_lm_tokenizer(const nn::DecoderCheckpoint& ck, const std::string& flag);

// The training config of a trained model folder (its train_config.json) or a config file.
train::TrainConfig training_config_of(const std::string& source);

}  // namespace ss::cli
