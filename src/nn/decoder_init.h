// Random-weight decoder LMs of any supported shape, written in the Hugging Face layout of their
// family (config.json + model.safetensors), so benchmarks need no download and the files also load
// in transformers.
#pragma once

#include <cstdint>
#include <filesystem>

#include <nlohmann/json_fwd.hpp>

#include "nn/decoder_config.h"
#include "nn/state_dict.h"

namespace ss::nn {

// Weights under their Hugging Face names for `hf_config` (below), in memory.
StateDict random_decoder_weights(const nlohmann::json& hf_config, uint64_t seed);

// `hf_config` is a config.json (model_type llama, mistral, qwen2, qwen3, gpt2, gpt_neox). Matrices
// ~N(0, 0.02), norms 1, biases 0 (GPT-2 / Llama init), drawn deterministically from `seed`.
// Returns the number of parameters written.
int64_t write_random_decoder(const nlohmann::json& hf_config, const std::filesystem::path& out_dir, uint64_t seed);

}  // namespace ss::nn
