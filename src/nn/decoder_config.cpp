#include "nn/decoder_config.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

#include "io/json_strict.h"
#include "util/error.h"

namespace ss::nn {

using nlohmann::json;

namespace {

std::optional<int32_t> optional_id(const json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_number_integer()) return std::nullopt;  // null, or a list (multiple eos)
  return j[key].get<int32_t>();
}

void read_rope_scaling(DecoderConfig& c, const json& j, const std::string& file) {
  if (!j.contains("rope_scaling") || j["rope_scaling"].is_null()) return;
  const json& s = j["rope_scaling"];
  const std::string type = s.value("rope_type", s.value("type", std::string()));
  if (type == "default") return;
  c.rope_factor = s.value("factor", 1.0);
  if (type == "linear") {
    c.rope_scaling = RopeScaling::Linear;
  } else if (type == "llama3") {
    c.rope_scaling = RopeScaling::Llama3;
    c.rope_low_freq = s.value("low_freq_factor", 1.0);
    c.rope_high_freq = s.value("high_freq_factor", 4.0);
    c.rope_original_max = io::json_int(s, "original_max_position_embeddings", 8192, file);
  } else {
    throw Error(file + ": rope_scaling type '" + type + "' is not supported (linear, llama3)");
  }
}

}  // namespace

const char* attn_name(AttnKind a) {
  switch (a) {
    case AttnKind::Softmax: return "softmax";
    case AttnKind::Softmax1: return "softmax1";
    case AttnKind::SinkLogit: return "sink_logit";
    case AttnKind::Sigmoid: return "sigmoid";
    case AttnKind::Elu1: return "elu1";
  }
  return "?";
}

std::string attention_variant(const DecoderConfig& c) {
  if (c.gate == AttnGate::Elementwise) return "gated_elementwise";
  if (c.gate == AttnGate::Headwise) return "gated_headwise";
  if (c.sink_token) return "sink_token";
  return attn_name(c.attn);
}

void set_attention_variant(DecoderConfig& c, const std::string& variant) {
  c.attn = AttnKind::Softmax;
  c.gate = AttnGate::None;
  if (variant == "gated_elementwise") {
    c.gate = AttnGate::Elementwise;
  } else if (variant == "gated_headwise") {
    c.gate = AttnGate::Headwise;
  } else if (variant == "sink_token") {
    if (!c.sink_token) throw UsageError("attention variant sink_token needs a sink token id");
  } else {
    bool known = false;
    for (AttnKind k : {AttnKind::Softmax, AttnKind::Softmax1, AttnKind::SinkLogit, AttnKind::Sigmoid, AttnKind::Elu1})
      if (variant == attn_name(k)) {
        c.attn = k;
        known = true;
      }
    if (!known)
      throw UsageError("attention variant '" + variant +
                       "' (expected softmax, softmax1, sink_logit, sigmoid, elu1, gated_elementwise, gated_headwise or "
                       "sink_token)");
  }
  if (variant != "sink_token") c.sink_token.reset();
}

void write_attention_fields(const DecoderConfig& c, json& hf) {
  hf["sinkscope_attention"] = attention_variant(c);
  if (c.attn == AttnKind::Sigmoid) hf["sinkscope_sigmoid_bias"] = c.sigmoid_bias;
  if (c.sink_token) hf["sinkscope_sink_token_id"] = *c.sink_token;
}

std::vector<int64_t> model_prefix(const DecoderConfig& c) {
  if (c.sink_token) return {*c.sink_token};
  return {};
}

DecoderConfig decoder_config_from_hf(const json& j, const std::string& file) {
  DecoderConfig c;
  try {
    c.arch = j.at("model_type").get<std::string>();
    c.vocab = io::json_int(j, "vocab_size", file);
    c.bos = optional_id(j, "bos_token_id");
    c.eos = optional_id(j, "eos_token_id");
    if (c.arch == "llama" || c.arch == "mistral" || c.arch == "qwen2" || c.arch == "qwen3") {
      c.dim = io::json_int(j, "hidden_size", file);
      c.layers = io::json_int(j, "num_hidden_layers", file);
      c.heads = io::json_int(j, "num_attention_heads", file);
      c.kv_heads = io::json_int(j, "num_key_value_heads", c.heads, file);
      c.head_dim = io::json_int(j, "head_dim", c.dim / std::max<int64_t>(c.heads, 1), file);
      c.ffn_hidden = io::json_int(j, "intermediate_size", file);
      c.norm_eps = j.value("rms_norm_eps", 1e-6);
      c.rope_theta = j.value("rope_theta", 10000.0);
      c.max_positions = io::json_int(j, "max_position_embeddings", 2048, file);
      c.tied_embeddings = j.value("tie_word_embeddings", c.arch == "qwen2" || c.arch == "qwen3");
      c.qk_norm = c.arch == "qwen3";
      c.rotary_dim = c.head_dim;
      read_rope_scaling(c, j, file);
      if (j.value("hidden_act", std::string("silu")) != "silu")
        throw Error(file + ": hidden_act '" + j["hidden_act"].get<std::string>() + "' (expected silu for SwiGLU)");
    } else if (c.arch == "gpt2") {
      c.dim = io::json_int(j, "n_embd", file);
      c.layers = io::json_int(j, "n_layer", file);
      c.heads = c.kv_heads = io::json_int(j, "n_head", file);
      c.head_dim = c.dim / std::max<int64_t>(c.heads, 1);
      c.ffn_hidden = io::json_int(j, "n_inner", 4 * c.dim, file);
      c.swiglu = false;
      c.act = activation_from_name(j.value("activation_function", std::string("gelu_new")));
      c.norm = NormKind::LayerNorm;
      c.norm_eps = j.value("layer_norm_epsilon", 1e-5);
      c.pos = PosKind::Learned;
      c.max_positions = io::json_int(j, "n_positions", file);
      c.tied_embeddings = true;
    } else if (c.arch == "gpt_neox") {
      c.dim = io::json_int(j, "hidden_size", file);
      c.layers = io::json_int(j, "num_hidden_layers", file);
      c.heads = c.kv_heads = io::json_int(j, "num_attention_heads", file);
      c.head_dim = c.dim / std::max<int64_t>(c.heads, 1);
      c.ffn_hidden = io::json_int(j, "intermediate_size", file);
      c.swiglu = false;
      c.act = activation_from_name(j.value("hidden_act", std::string("gelu")));
      c.norm = NormKind::LayerNorm;
      c.norm_eps = j.value("layer_norm_eps", 1e-5);
      c.rope_theta = j.value("rotary_emb_base", 10000.0);
      const double rotary_pct = j.value("rotary_pct", 0.25);
      if (!(rotary_pct > 0 && rotary_pct <= 1)) throw Error(file + ": rotary_pct must be in (0, 1]");
      c.rotary_dim = static_cast<int64_t>(c.head_dim * rotary_pct);
      c.parallel_residual = j.value("use_parallel_residual", true);
      c.max_positions = io::json_int(j, "max_position_embeddings", 2048, file);
      c.tied_embeddings = j.value("tie_word_embeddings", false);
      read_rope_scaling(c, j, file);
    } else {
      throw Error(file + ": model_type '" + c.arch +
                  "' is not a supported decoder (llama, mistral, qwen2, qwen3, gpt2, gpt_neox)");
    }
    // Our own fields (written by `sinkscope train`, write_attention_fields); other tools ignore them.
    if (j.contains("sinkscope_sink_token_id")) {
      const int64_t id = io::json_int(j, "sinkscope_sink_token_id", file);
      if (id < 0 || id >= c.vocab) throw Error(file + ": sinkscope_sink_token_id is not a vocabulary id");
      c.sink_token = static_cast<int32_t>(id);
    }
    c.sigmoid_bias = j.value("sinkscope_sigmoid_bias", 0.0);
    if (j.contains("sinkscope_attention")) set_attention_variant(c, j["sinkscope_attention"].get<std::string>());
  } catch (const json::exception& e) {
    throw Error(file + ": " + e.what());
  } catch (const UsageError& e) {
    throw Error(file + ": " + e.what());
  }
  try {
    validate(c);
  } catch (const Error& e) {  // "llama config: kv_heads must divide heads" alone does not say which file
    throw Error(file + ": " + e.what());
  }
  return c;
}

json to_json(const DecoderConfig& c) {
  return {{"arch", c.arch},
          {"vocab", c.vocab},
          {"dim", c.dim},
          {"layers", c.layers},
          {"heads", c.heads},
          {"kv_heads", c.kv_heads},
          {"head_dim", c.head_dim},
          {"ffn_hidden", c.ffn_hidden},
          {"ffn", c.swiglu ? "swiglu" : activation_name(c.act)},
          {"norm", c.norm == NormKind::RmsNorm ? "rmsnorm" : "layernorm"},
          {"norm_eps", c.norm_eps},
          {"positions", c.pos == PosKind::Rope ? "rope" : "learned"},
          {"max_positions", c.max_positions},
          {"rope_theta", c.rope_theta},
          {"rope_style", c.rope_style == RopeStyle::Half ? "half" : "interleaved"},
          {"rotary_dim", c.rotary_dim},
          {"parallel_residual", c.parallel_residual},
          {"qk_norm", c.qk_norm},
          {"tied_embeddings", c.tied_embeddings},
          {"attention", attention_variant(c)},
          {"sigmoid_bias", c.sigmoid_bias},
          {"sink_token", c.sink_token ? json(*c.sink_token) : json(nullptr)},
          {"bos", c.bos ? json(*c.bos) : json(nullptr)},
          {"eos", c.eos ? json(*c.eos) : json(nullptr)}};
}

void validate(const DecoderConfig& c) {
  auto need = [&c](bool ok, const std::string& what) {
    if (!ok) throw Error(c.arch + " config: " + what);
  };
  need(c.vocab > 0 && c.vocab <= (1 << 22), "vocab must be in 1..2^22");
  need(c.dim > 0 && c.dim <= 65536, "dim must be in 1..65536");
  need(c.layers > 0 && c.layers <= 1024, "layers must be in 1..1024");
  need(c.heads > 0 && c.kv_heads > 0 && c.heads % c.kv_heads == 0, "kv_heads must divide heads");
  need(c.head_dim > 0 && c.head_dim % 2 == 0, "head_dim must be even and positive");
  need(c.ffn_hidden > 0, "ffn hidden size must be positive");
  need(c.pos == PosKind::Learned || (c.rotary_dim > 0 && c.rotary_dim <= c.head_dim && c.rotary_dim % 2 == 0),
       "rotary_dim must be even and in 1..head_dim");
  need(c.max_positions > 0, "max_positions must be positive");
  need(c.gate == AttnGate::None || c.attn == AttnKind::Softmax, "an attention output gate goes with softmax attention");
  need(!c.sink_token || (*c.sink_token >= 0 && *c.sink_token < c.vocab), "sink token id must be a vocabulary id");
  need(std::isfinite(c.sigmoid_bias), "sigmoid bias must be finite");
}

}  // namespace ss::nn
