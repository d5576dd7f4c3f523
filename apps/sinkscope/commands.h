// The sinkscope command line: each command registers itself on the root CLI11 app.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "nn/vit.h"
#include "nn/vit_loader.h"

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

}  // namespace ss::cli
