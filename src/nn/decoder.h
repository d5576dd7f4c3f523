// One decoder-only LM forward pass for Llama-family, Qwen2/3, GPT-2, GPT-NeoX and llama2.c models.
//
// Named hook points (same mechanism as the ViT, docs/tensors.md):
//   tokens_in [B,T,D] (embeddings, + learned positions)   blocks.{i}.attn.{q,k,v} [B,heads,T,d] (after RoPE)
//   blocks.{i}.attn.probs [B,heads,T,S] (only when asked)  blocks.{i}.attn.out [B,T,D] (after o_proj)
//   blocks.{i}.attn.gate [B,T,heads,head_dim|1] (gated variants: sigmoid(X W_g), before it multiplies)
//   blocks.{i}.mlp.act [B,T,hidden] (SwiGLU: silu(gate)*up)  blocks.{i}.mlp.out [B,T,D]
//   blocks.{i}.out [B,T,D] (residual stream)  final_norm [B,T,D]  logits [B,T,V]
#pragma once

#include <ATen/ATen.h>

#include <vector>

#include "nn/decoder_config.h"
#include "nn/hooks.h"
#include "nn/kv_cache.h"
#include "nn/rope.h"
#include "nn/state_dict.h"

namespace ss::nn {

class DecoderLM {
 public:
  // `weights` uses canonical names (decoder_loader.h); shapes are checked against `config`.
  DecoderLM(DecoderConfig config, const StateDict& weights);
  const DecoderConfig& config() const { return cfg_; }
  // The rotary embedding a cache must re-rotate keys with; nullptr for learned positions.
  const Rope* rope() const { return cfg_.pos == PosKind::Rope ? &rope_ : nullptr; }
  int64_t num_parameters() const;

  // ids: [B, T] int64; positions: [T] int64, the positions of these tokens. With a cache the tokens
  // attend to everything cached plus themselves (causally) and are appended to it; without one, to
  // themselves only. Returns logits [B, T, vocab].
  at::Tensor forward(const at::Tensor& ids, const at::Tensor& positions, KVCache* cache, const Hooks& hooks) const;

  // Training (grad mode on, weights that require grad, float32, no autocast) runs through fused ops
  // with hand-written backward passes (src/nn/fused_*.h): RMSNorm; q|k|v as one product, then head
  // split + RoPE; causal softmax attention (no cache, no hook on the weights); the SwiGLU MLP in
  // blocks of rows (no hook on its activation). Same math to float rounding (tests/nn/test_fused_ops.cpp);
  // inference and evaluation never take this path. Off: the reference composition of ATen ops.
  void set_fused_training(bool on) { fused_training_ = on; }

 private:
  struct Block {
    at::Tensor attn_norm_w, attn_norm_b, q_w, q_b, k_w, k_b, v_w, v_b, o_w, o_b, q_norm, k_norm, sinks, attn_gate_w;
    at::Tensor mlp_norm_w, mlp_norm_b, up_w, up_b, gate_w, down_w, down_b;  // non-SwiGLU: up = fc1, down = fc2
  };
  // Whether this forward pass takes the fused training path (see set_fused_training).
  bool fused_step(const at::Tensor& x) const;
  at::Tensor norm(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, bool fused) const;
  at::Tensor attention(int64_t i, const Block& b, const at::Tensor& h, const at::Tensor& positions,
                       const RopeAngles& angles, KVCache* cache, const Hooks& hooks, bool fused) const;
  at::Tensor mlp(int64_t i, const Block& b, const at::Tensor& h, const Hooks& hooks, bool fused) const;

  DecoderConfig cfg_;
  Rope rope_;
  at::Tensor tok_emb_, pos_emb_, final_w_, final_b_, lm_head_;
  std::vector<Block> blocks_;
  bool fused_training_ = true;
};

}  // namespace ss::nn
