// Everything that distinguishes one decoder LM family from another, as plain data. One forward pass
// (nn/decoder.h) covers Llama/Mistral/TinyLlama/SmolLM2, Qwen2/2.5, Qwen3, GPT-2, GPT-NeoX/Pythia and
// llama2.c checkpoints by these fields (llm-sinks.md §7).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "nn/vit_config.h"  // Activation

namespace ss::nn {

enum class NormKind { LayerNorm, RmsNorm };
enum class PosKind { Learned, Rope };
// HF rotate_half over the two halves of each head vs Meta/llama2.c interleaved pairs (x[2i], x[2i+1]).
enum class RopeStyle { Half, Interleaved };
enum class RopeScaling { None, Linear, Llama3 };
// softmax, softmax1 (an implicit zero logit per row), or gpt-oss's learned per-head sink logit.
enum class AttnKind { Softmax, Softmax1, SinkLogit };

struct DecoderConfig {
  std::string arch;  // llama | qwen2 | qwen3 | mistral | gpt2 | gpt_neox | llama2c
  int64_t vocab = 0, dim = 0, layers = 0, heads = 0, kv_heads = 0, head_dim = 0, ffn_hidden = 0;
  bool swiglu = true;             // down(silu(gate x) * up x); else fc2(act(fc1 x))
  Activation act = Activation::Gelu;
  NormKind norm = NormKind::RmsNorm;
  double norm_eps = 1e-5;
  PosKind pos = PosKind::Rope;
  int64_t max_positions = 2048;   // learned table size, or the trained context for RoPE models
  double rope_theta = 10000.0;
  RopeStyle rope_style = RopeStyle::Half;
  int64_t rotary_dim = 0;         // leading dims of each head that rotate (NeoX partial rotary)
  RopeScaling rope_scaling = RopeScaling::None;
  double rope_factor = 1.0, rope_low_freq = 1.0, rope_high_freq = 4.0;
  int64_t rope_original_max = 8192;
  bool parallel_residual = false;  // NeoX: x + attn(ln1 x) + mlp(ln2 x)
  bool qk_norm = false;            // Qwen3: RMSNorm over head_dim on q and k before RoPE
  bool tied_embeddings = false;
  AttnKind attn = AttnKind::Softmax;  // config.json "sinkscope_attention", or sink_logit when `sinks` exist
  std::optional<int32_t> bos, eos;

  int64_t q_dim() const { return heads * head_dim; }
  int64_t kv_dim() const { return kv_heads * head_dim; }
};

// From a Hugging Face config.json (model_type llama, mistral, qwen2, qwen3, gpt2, gpt_neox).
DecoderConfig decoder_config_from_hf(const nlohmann::json& config, const std::string& file);
nlohmann::json to_json(const DecoderConfig& c);
const char* attn_name(AttnKind a);
void validate(const DecoderConfig& c);  // throws ss::Error naming the bad field

}  // namespace ss::nn
