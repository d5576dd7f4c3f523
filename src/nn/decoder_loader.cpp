#include "nn/decoder_loader.h"

#include <fstream>

#include <nlohmann/json.hpp>

#include "io/json_strict.h"
#include "io/llama2c.h"
#include "nn/key_rules.h"
#include "util/error.h"

namespace ss::nn {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* kDecoderTypes[] = {"llama", "mistral", "qwen2", "qwen3", "gpt2", "gpt_neox"};


std::vector<RenameRule> rules_for(const std::string& arch) {
  auto R = [](const char* f, const char* t) { return RenameRule{std::regex(f), t}; };
  if (arch == "gpt2")  // c_attn / c_fc / c_proj are Conv1D: split and transposed in convert_gpt2()
    return {R(R"(^(?:transformer\.)?wte\.weight$)", "tok_emb"),
            R(R"(^(?:transformer\.)?wpe\.weight$)", "pos_emb"),
            R(R"(^(?:transformer\.)?h\.(\d+)\.ln_1\.(weight|bias)$)", "blocks.$1.attn_norm.$2"),
            R(R"(^(?:transformer\.)?h\.(\d+)\.ln_2\.(weight|bias)$)", "blocks.$1.mlp_norm.$2"),
            R(R"(^(?:transformer\.)?h\.(\d+)\.attn\.c_attn\.(weight|bias)$)", "blocks.$1.attn.qkv_conv1d.$2"),
            R(R"(^(?:transformer\.)?h\.(\d+)\.attn\.c_proj\.(weight|bias)$)", "blocks.$1.attn.o_conv1d.$2"),
            R(R"(^(?:transformer\.)?h\.(\d+)\.mlp\.c_fc\.(weight|bias)$)", "blocks.$1.mlp.fc1_conv1d.$2"),
            R(R"(^(?:transformer\.)?h\.(\d+)\.mlp\.c_proj\.(weight|bias)$)", "blocks.$1.mlp.fc2_conv1d.$2"),
            R(R"(^(?:transformer\.)?ln_f\.(weight|bias)$)", "final_norm.$1"),
            R(R"(^lm_head\.weight$)", "lm_head")};
  if (arch == "gpt_neox")
    return {R(R"(^gpt_neox\.embed_in\.weight$)", "tok_emb"),
            R(R"(^gpt_neox\.layers\.(\d+)\.input_layernorm\.(weight|bias)$)", "blocks.$1.attn_norm.$2"),
            R(R"(^gpt_neox\.layers\.(\d+)\.post_attention_layernorm\.(weight|bias)$)", "blocks.$1.mlp_norm.$2"),
            R(R"(^gpt_neox\.layers\.(\d+)\.attention\.query_key_value\.(weight|bias)$)", "blocks.$1.attn.qkv_neox.$2"),
            R(R"(^gpt_neox\.layers\.(\d+)\.attention\.dense\.(weight|bias)$)", "blocks.$1.attn.o.$2"),
            R(R"(^gpt_neox\.layers\.(\d+)\.mlp\.dense_h_to_4h\.(weight|bias)$)", "blocks.$1.mlp.fc1.$2"),
            R(R"(^gpt_neox\.layers\.(\d+)\.mlp\.dense_4h_to_h\.(weight|bias)$)", "blocks.$1.mlp.fc2.$2"),
            R(R"(^gpt_neox\.final_layer_norm\.(weight|bias)$)", "final_norm.$1"),
            R(R"(^embed_out\.weight$)", "lm_head")};
  if (arch == "llama2c")
    return {R(R"(^tok_embeddings\.weight$)", "tok_emb"),
            R(R"(^layers\.(\d+)\.attention_norm\.weight$)", "blocks.$1.attn_norm.weight"),
            R(R"(^layers\.(\d+)\.attention\.w(q|k|v|o)\.weight$)", "blocks.$1.attn.$2.weight"),
            R(R"(^layers\.(\d+)\.ffn_norm\.weight$)", "blocks.$1.mlp_norm.weight"),
            R(R"(^layers\.(\d+)\.feed_forward\.w1\.weight$)", "blocks.$1.mlp.gate.weight"),
            R(R"(^layers\.(\d+)\.feed_forward\.w3\.weight$)", "blocks.$1.mlp.up.weight"),
            R(R"(^layers\.(\d+)\.feed_forward\.w2\.weight$)", "blocks.$1.mlp.down.weight"),
            R(R"(^norm\.weight$)", "final_norm.weight"),
            R(R"(^output\.weight$)", "lm_head")};
  // Llama family (llama, mistral, qwen2, qwen3)
  return {R(R"(^model\.embed_tokens\.weight$)", "tok_emb"),
          R(R"(^model\.layers\.(\d+)\.input_layernorm\.weight$)", "blocks.$1.attn_norm.weight"),
          R(R"(^model\.layers\.(\d+)\.self_attn\.(q|k|v|o)_proj\.(weight|bias)$)", "blocks.$1.attn.$2.$3"),
          R(R"(^model\.layers\.(\d+)\.self_attn\.(q|k)_norm\.weight$)", "blocks.$1.attn.$2_norm.weight"),
          R(R"(^model\.layers\.(\d+)\.self_attn\.sinks$)", "blocks.$1.attn.sinks"),
          // sinkscope's own key for a G1 output gate (trained variants; not an upstream layout).
          R(R"(^model\.layers\.(\d+)\.self_attn\.gate_proj\.weight$)", "blocks.$1.attn.gate.weight"),
          R(R"(^model\.layers\.(\d+)\.post_attention_layernorm\.weight$)", "blocks.$1.mlp_norm.weight"),
          R(R"(^model\.layers\.(\d+)\.mlp\.(gate|up|down)_proj\.weight$)", "blocks.$1.mlp.$2.weight"),
          R(R"(^model\.norm\.weight$)", "final_norm.weight"),
          R(R"(^lm_head\.weight$)", "lm_head")};
}

// GPT-2 Conv1D: y = x W + b with W [in, out]; c_attn's output columns are [q | k | v].
void convert_gpt2(StateDict& w, const DecoderConfig& c) {
  for (int64_t i = 0; i < c.layers; ++i) {
    const std::string p = "blocks." + std::to_string(i) + ".";
    auto move = [&](const std::string& from, const std::string& to, bool transpose) {
      auto it = w.find(p + from);
      if (it == w.end()) return;
      w[p + to] = transpose ? it->second.t().contiguous() : it->second;
      w.erase(it);
    };
    for (const char* kind : {"weight", "bias"}) {
      const std::string k = kind, name = p + "attn.qkv_conv1d." + k;
      if (w.count(name)) {
        auto parts = (k == "weight" ? w[name].t() : w[name]).chunk(3, 0);
        w[p + "attn.q." + k] = parts[0].contiguous();
        w[p + "attn.k." + k] = parts[1].contiguous();
        w[p + "attn.v." + k] = parts[2].contiguous();
        w.erase(name);
      }
      move("attn.o_conv1d." + k, "attn.o." + k, k == "weight");
      move("mlp.fc1_conv1d." + k, "mlp.fc1." + k, k == "weight");
      move("mlp.fc2_conv1d." + k, "mlp.fc2." + k, k == "weight");
    }
  }
}

// GPT-NeoX query_key_value rows are interleaved per head: [heads, (q|k|v), head_dim].
void convert_neox(StateDict& w, const DecoderConfig& c) {
  for (int64_t i = 0; i < c.layers; ++i) {
    const std::string p = "blocks." + std::to_string(i) + ".attn.";
    for (const char* kind : {"weight", "bias"}) {
      const std::string name = p + "qkv_neox." + kind;
      if (!w.count(name)) continue;
      const at::Tensor t = w[name];
      const at::Tensor per_head = t.view({c.heads, 3, c.head_dim, -1});
      for (int64_t j = 0; j < 3; ++j) {
        at::Tensor part = per_head.select(1, j).reshape({c.heads * c.head_dim, -1});
        if (t.dim() == 1) part = part.flatten();
        w[p + std::string("qkv").substr(static_cast<size_t>(j), 1) + "." + kind] = part.contiguous();
      }
      w.erase(name);
    }
  }
}

DecoderCheckpoint load_llama2c(const fs::path& path) {
  io::Llama2cHeader h{};
  StateDict raw;
  for (const auto& t : io::read_llama2c(path.string(), &h)) raw.emplace(t.name, to_tensor(t));
  DecoderCheckpoint ck;
  DecoderConfig& c = ck.config;
  c.arch = "llama2c";
  c.vocab = h.vocab_size;
  c.dim = h.dim;
  c.layers = h.n_layers;
  c.heads = h.n_heads;
  c.kv_heads = h.n_kv_heads;
  c.head_dim = h.dim / h.n_heads;
  c.ffn_hidden = h.hidden_dim;
  c.norm_eps = 1e-5;
  c.max_positions = h.seq_len;
  c.rope_style = RopeStyle::Interleaved;  // Meta layout: pairs (x[2i], x[2i+1])
  c.rotary_dim = c.head_dim;
  c.tied_embeddings = h.shared_classifier;
  c.bos = 1;
  c.eos = 2;
  validate(c);
  ck.weights = rename_by_rules(raw, rules_for("llama2c"), &ck.ignored);
  // llama2.c keeps tokenizers beside the model (tok512.bin for stories260K, tokenizer.bin for Llama 2).
  for (const char* name : {"tokenizer.bin", "tok512.bin", "tok4096.bin"})
    if (fs::exists(path.parent_path() / name)) {
      ck.tokenizer = path.parent_path() / name;
      break;
    }
  return ck;
}

}  // namespace

DecoderCheckpoint decoder_from_hf(const json& hf_config, StateDict hf_weights, const std::string& config_file) {
  DecoderCheckpoint ck;
  ck.config = decoder_config_from_hf(hf_config, config_file);
  const std::string family = ck.config.arch == "gpt2" || ck.config.arch == "gpt_neox" ? ck.config.arch : "llama";
  ck.weights = rename_by_rules(std::move(hf_weights), rules_for(family), &ck.ignored);
  if (family == "gpt2") convert_gpt2(ck.weights, ck.config);
  if (family == "gpt_neox") convert_neox(ck.weights, ck.config);
  // Learned sinks in the file are used, never silently ignored (vLLM once dropped them).
  if (ck.weights.count("blocks.0.attn.sinks")) ck.config.attn = AttnKind::SinkLogit;
  // A checkpoint that ships lm_head although config says tied (or says nothing) uses its own head.
  if (ck.config.tied_embeddings && ck.weights.count("lm_head")) ck.config.tied_embeddings = false;
  return ck;
}

bool is_decoder_checkpoint(const fs::path& path) {
  const fs::path dir = fs::is_directory(path) ? path : path.parent_path();
  if (fs::exists(dir / "config.json")) {
    std::ifstream in(dir / "config.json");
    const json j = json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) return false;
    const std::string mt = j.value("model_type", "");
    for (const char* t : kDecoderTypes)
      if (mt == t) return true;
    return false;
  }
  return fs::is_regular_file(path) && io::looks_like_llama2c(path.string());
}

DecoderCheckpoint load_decoder_checkpoint(const fs::path& path) {
  if (!fs::exists(path)) throw Error(path.string() + ": no such file or directory");
  const fs::path dir = fs::is_directory(path) ? path : path.parent_path();
  if (!fs::exists(dir / "config.json")) {
    if (fs::is_regular_file(path) && io::looks_like_llama2c(path.string())) return load_llama2c(path);
    throw Error(path.string() + ": no config.json beside the weights and not a llama2.c checkpoint");
  }
  const std::string config_file = (dir / "config.json").string();
  DecoderCheckpoint ck = decoder_from_hf(io::read_json_file(config_file), load_state_dict(path), config_file);
  for (const char* name : {"tokenizer.json", "tokenizer.model", "vocab.json", "tokenizer.bin"})
    if (fs::exists(dir / name)) {
      ck.tokenizer = dir;
      break;
    }
  return ck;
}

}  // namespace ss::nn
