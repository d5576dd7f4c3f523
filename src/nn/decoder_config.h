// Everything that distinguishes one decoder LM family from another, as plain data. One forward pass
// (nn/decoder.h) covers Llama/Mistral/TinyLlama/SmolLM2, Qwen2/2.5, Qwen3, GPT-2, GPT-NeoX/Pythia and
// llama2.c checkpoints by these fields (llm-sinks.md §7).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "nn/attention_kind.h"
#include "nn/vit_config.h"  // Activation

namespace ss::nn {

enum class NormKind { LayerNorm, RmsNorm };
enum class PosKind { Learned, Rope };
// HF rotate_half over the two halves of each head vs Meta/llama2.c interleaved pairs (x[2i], x[2i+1]).
enum class RopeStyle { Half, Interleaved };
enum class RopeScaling { None, Linear, Llama3 };
// G1 output gate (Qiu et al. §2.2): Y * sigmoid(X W_g) after SDPA, before o_proj; X = the
// pre-normed block input. Elementwise: one gate per head dimension; headwise: one per head.
enum class AttnGate { None, Headwise, Elementwise };

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
  AttnGate gate = AttnGate::None;
  // sigmoid attention's bias b. Fixed, so that cached decoding computes exactly what training did:
  // the rule is b = -ln(training sequence length) (Ramapuram et al.; config "sinkscope_sigmoid_bias").
  double sigmoid_bias = 0.0;
  // StreamingLLM §3.3: a learnable token (a reserved embedding row) placed before every sequence.
  std::optional<int32_t> sink_token;
  std::optional<int32_t> bos, eos;

  int64_t q_dim() const { return heads * head_dim; }
  int64_t gate_dim() const { return gate == AttnGate::Elementwise ? q_dim() : gate == AttnGate::Headwise ? heads : 0; }
  int64_t kv_dim() const { return kv_heads * head_dim; }
};

// From a Hugging Face config.json (model_type llama, mistral, qwen2, qwen3, gpt2, gpt_neox).
DecoderConfig decoder_config_from_hf(const nlohmann::json& config, const std::string& file);
nlohmann::json to_json(const DecoderConfig& c);
const char* attn_name(AttnKind a);
// The one-word attention variant of issue #5 / config "sinkscope_attention": softmax, softmax1,
// sink_logit, sigmoid, elu1, gated_elementwise, gated_headwise or sink_token.
std::string attention_variant(const DecoderConfig& c);
// Sets attn / gate (and checks sink_token) from such a name; throws ss::UsageError for others.
void set_attention_variant(DecoderConfig& c, const std::string& variant);
// Writes the sinkscope_* fields of `c` into a Hugging Face config.json object (and reads them back
// in decoder_config_from_hf), so trained variants load everywhere a llama checkpoint does.
void write_attention_fields(const DecoderConfig& c, nlohmann::json& hf_config);
// The ids to put before any text the model reads: the sink token, if the model has one.
std::vector<int64_t> model_prefix(const DecoderConfig& c);
void validate(const DecoderConfig& c);  // throws ss::Error naming the bad field

}  // namespace ss::nn
