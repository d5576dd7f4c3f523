// The sinkscope command line: each command registers itself on the root CLI11 app.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "nn/vit.h"
#include "nn/vit_loader.h"

namespace ss::cli {

void add_info_command(CLI::App& app);
void add_trace_command(CLI::App& app);
void add_init_command(CLI::App& app);
void add_bench_command(CLI::App& app);

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
