// Turns a decoder checkpoint (Hugging Face folder, or a llama2.c .bin) into a DecoderConfig plus
// canonical weights:
//   tok_emb [V,D]  pos_emb [P,D]  final_norm.{weight,bias}  lm_head [V,D]
//   blocks.{i}.attn_norm.{weight,bias}  blocks.{i}.attn.{q,k,v,o}.{weight,bias}  blocks.{i}.attn.{q,k}_norm.weight
//   blocks.{i}.mlp_norm.{weight,bias}  blocks.{i}.mlp.{gate,up,down}.weight | blocks.{i}.mlp.{fc1,fc2}.{weight,bias}
// All matrices as nn.Linear weights [out, in] (GPT-2's Conv1D [in, out] is transposed here).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "nn/decoder_config.h"
#include "nn/state_dict.h"

namespace ss::nn {

struct DecoderCheckpoint {
  DecoderConfig config;
  StateDict weights;
  std::vector<std::string> ignored;
  std::filesystem::path tokenizer;  // tokenizer file/folder that came with the weights, if any
};

// True when `path` holds a decoder LM (a config.json of a decoder model_type, or a llama2.c file).
bool is_decoder_checkpoint(const std::filesystem::path& path);

DecoderCheckpoint load_decoder_checkpoint(const std::filesystem::path& path);

// The same from a config.json object and weights under their Hugging Face names (no tokenizer).
// Renaming does not copy: the canonical tensors are the given ones (the trainer relies on this).
DecoderCheckpoint decoder_from_hf(const nlohmann::json& hf_config, StateDict hf_weights, const std::string& config_file);

}  // namespace ss::nn
