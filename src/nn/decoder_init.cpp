#include "nn/decoder_init.h"

#include <ATen/CPUGeneratorImpl.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "io/safetensors.h"
#include "nn/state_dict.h"
#include "util/error.h"

namespace ss::nn {

StateDict random_decoder_weights(const nlohmann::json& hf_config, uint64_t seed) {
  const DecoderConfig c = decoder_config_from_hf(hf_config, "config");
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  StateDict w;
  auto normal = [&gen](std::vector<int64_t> shape) { return at::normal(0.0, 0.02, shape, gen); };
  const int64_t D = c.dim, F = c.ffn_hidden, Q = c.q_dim(), KV = c.kv_dim();
  if (c.arch == "gpt2") {
    // Conv1D weights are [in, out]; c_attn packs q | k | v columns.
    w["wte.weight"] = normal({c.vocab, D});
    w["wpe.weight"] = normal({c.max_positions, D});
    for (int64_t i = 0; i < c.layers; ++i) {
      const std::string p = "h." + std::to_string(i) + ".";
      for (const char* ln : {"ln_1", "ln_2"}) {
        w[p + ln + ".weight"] = at::ones({D});
        w[p + ln + ".bias"] = at::zeros({D});
      }
      w[p + "attn.c_attn.weight"] = normal({D, 3 * D});
      w[p + "attn.c_attn.bias"] = at::zeros({3 * D});
      w[p + "attn.c_proj.weight"] = normal({D, D});
      w[p + "attn.c_proj.bias"] = at::zeros({D});
      w[p + "mlp.c_fc.weight"] = normal({D, F});
      w[p + "mlp.c_fc.bias"] = at::zeros({F});
      w[p + "mlp.c_proj.weight"] = normal({F, D});
      w[p + "mlp.c_proj.bias"] = at::zeros({D});
    }
    w["ln_f.weight"] = at::ones({D});
    w["ln_f.bias"] = at::zeros({D});
  } else if (c.arch == "gpt_neox") {
    throw UsageError("init: random gpt_neox models are not supported yet; use llama, qwen2, qwen3 or gpt2");
  } else {
    w["model.embed_tokens.weight"] = normal({c.vocab, D});
    for (int64_t i = 0; i < c.layers; ++i) {
      const std::string p = "model.layers." + std::to_string(i) + ".";
      w[p + "input_layernorm.weight"] = at::ones({D});
      w[p + "post_attention_layernorm.weight"] = at::ones({D});
      w[p + "self_attn.q_proj.weight"] = normal({Q, D});
      w[p + "self_attn.k_proj.weight"] = normal({KV, D});
      w[p + "self_attn.v_proj.weight"] = normal({KV, D});
      w[p + "self_attn.o_proj.weight"] = normal({D, Q});
      if (c.arch == "qwen2")
        for (const char* n : {"q", "k", "v"}) w[p + "self_attn." + n + "_proj.bias"] = at::zeros({n[0] == 'q' ? Q : KV});
      if (c.qk_norm) {
        w[p + "self_attn.q_norm.weight"] = at::ones({c.head_dim});
        w[p + "self_attn.k_norm.weight"] = at::ones({c.head_dim});
      }
      // Attention variants (Qiu et al. §3.2: gate rows N(0, 0.02), so gates start near 0.5; HF
      // gpt-oss inits sinks N(0, 0.02)).
      if (c.gate != AttnGate::None) w[p + "self_attn.gate_proj.weight"] = normal({c.gate_dim(), D});
      if (c.attn == AttnKind::SinkLogit) w[p + "self_attn.sinks"] = normal({c.heads});
      w[p + "mlp.gate_proj.weight"] = normal({F, D});
      w[p + "mlp.up_proj.weight"] = normal({F, D});
      w[p + "mlp.down_proj.weight"] = normal({D, F});
    }
    w["model.norm.weight"] = at::ones({D});
    if (!c.tied_embeddings) w["lm_head.weight"] = normal({c.vocab, D});
  }
  return w;
}

int64_t write_random_decoder(const nlohmann::json& hf_config, const std::filesystem::path& out_dir, uint64_t seed) {
  const StateDict w = random_decoder_weights(hf_config, seed);
  std::filesystem::create_directories(out_dir);
  std::vector<io::RawTensor> raws;
  int64_t params = 0;
  for (const auto& kv : w) {
    raws.push_back(to_raw(kv.first, kv.second));
    params += kv.second.numel();
  }
  io::write_safetensors((out_dir / "model.safetensors").string(), raws, {{"format", "pt"}});
  std::ofstream(out_dir / "config.json") << hf_config.dump(2) << "\n";
  return params;
}

}  // namespace ss::nn
