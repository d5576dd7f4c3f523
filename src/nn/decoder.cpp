#include "nn/decoder.h"

#include <ATen/autocast_mode.h>

#include "nn/attention.h"
#include "nn/fused_attention.h"
#include "nn/fused_mlp.h"
#include "nn/fused_rmsnorm.h"
#include "nn/fused_rope.h"
#include "nn/layers.h"
#include "util/error.h"

namespace ss::nn {

DecoderLM::DecoderLM(DecoderConfig config, const StateDict& w) : cfg_(std::move(config)), rope_(cfg_) {
  validate(cfg_);
  const int64_t D = cfg_.dim, F = cfg_.ffn_hidden, Q = cfg_.q_dim(), KV = cfg_.kv_dim();
  const bool ln = cfg_.norm == NormKind::LayerNorm;
  tok_emb_ = take_weight(w, "tok_emb", {cfg_.vocab, D});
  if (cfg_.pos == PosKind::Learned) pos_emb_ = take_weight(w, "pos_emb", {cfg_.max_positions, D});
  final_w_ = take_weight(w, "final_norm.weight", {D});
  final_b_ = take_weight(w, "final_norm.bias", {D}, !ln);
  lm_head_ = cfg_.tied_embeddings ? tok_emb_ : take_weight(w, "lm_head", {cfg_.vocab, D});
  for (int64_t i = 0; i < cfg_.layers; ++i) {
    const std::string p = "blocks." + std::to_string(i) + ".";
    Block b;
    b.attn_norm_w = take_weight(w, p + "attn_norm.weight", {D});
    b.attn_norm_b = take_weight(w, p + "attn_norm.bias", {D}, true);
    b.q_w = take_weight(w, p + "attn.q.weight", {Q, D});
    b.k_w = take_weight(w, p + "attn.k.weight", {KV, D});
    b.v_w = take_weight(w, p + "attn.v.weight", {KV, D});
    b.q_b = take_weight(w, p + "attn.q.bias", {Q}, true);
    b.k_b = take_weight(w, p + "attn.k.bias", {KV}, true);
    b.v_b = take_weight(w, p + "attn.v.bias", {KV}, true);
    b.o_w = take_weight(w, p + "attn.o.weight", {D, Q});
    b.o_b = take_weight(w, p + "attn.o.bias", {D}, true);
    if (cfg_.qk_norm) {
      b.q_norm = take_weight(w, p + "attn.q_norm.weight", {cfg_.head_dim});
      b.k_norm = take_weight(w, p + "attn.k_norm.weight", {cfg_.head_dim});
    }
    if (cfg_.attn == AttnKind::SinkLogit) b.sinks = take_weight(w, p + "attn.sinks", {cfg_.heads});
    if (cfg_.gate != AttnGate::None) b.attn_gate_w = take_weight(w, p + "attn.gate.weight", {cfg_.gate_dim(), D});
    b.mlp_norm_w = take_weight(w, p + "mlp_norm.weight", {D});
    b.mlp_norm_b = take_weight(w, p + "mlp_norm.bias", {D}, true);
    if (cfg_.swiglu) {
      b.gate_w = take_weight(w, p + "mlp.gate.weight", {F, D});
      b.up_w = take_weight(w, p + "mlp.up.weight", {F, D});
      b.down_w = take_weight(w, p + "mlp.down.weight", {D, F});
    } else {
      b.up_w = take_weight(w, p + "mlp.fc1.weight", {F, D});
      b.up_b = take_weight(w, p + "mlp.fc1.bias", {F}, true);
      b.down_w = take_weight(w, p + "mlp.fc2.weight", {D, F});
      b.down_b = take_weight(w, p + "mlp.fc2.bias", {D}, true);
    }
    blocks_.push_back(std::move(b));
  }
}

int64_t DecoderLM::num_parameters() const {
  int64_t n = tok_emb_.numel() + (pos_emb_.defined() ? pos_emb_.numel() : 0) + final_w_.numel() +
              (final_b_.defined() ? final_b_.numel() : 0) + (cfg_.tied_embeddings ? 0 : lm_head_.numel());
  for (const auto& b : blocks_)
    for (const at::Tensor* t : {&b.attn_norm_w, &b.attn_norm_b, &b.q_w, &b.q_b, &b.k_w, &b.k_b, &b.v_w, &b.v_b,
                                &b.o_w, &b.o_b, &b.q_norm, &b.k_norm, &b.sinks, &b.attn_gate_w, &b.mlp_norm_w, &b.mlp_norm_b,
                                &b.up_w, &b.up_b, &b.gate_w, &b.down_w, &b.down_b})
      if (t->defined()) n += t->numel();
  return n;
}

// RMSNorm as HF LlamaRMSNorm / llama2.c: x * rsqrt(mean(x^2) + eps) * w, in float32.
static at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& w, double eps) {
  return x * at::rsqrt(x.pow(2).mean(-1, true) + eps) * w;
}

// Keys at positions <= the query's position are exactly the causal triangle when positions increase.
static bool strictly_increasing(const at::Tensor& positions) {
  const at::Tensor p = positions.contiguous();
  const int64_t* v = p.data_ptr<int64_t>();
  for (int64_t i = 1; i < p.numel(); ++i)
    if (v[i] <= v[i - 1]) return false;
  return true;
}

bool DecoderLM::fused_step(const at::Tensor& x) const {
  return fused_training_ && at::GradMode::is_enabled() && tok_emb_.requires_grad() &&
         x.scalar_type() == at::kFloat && !at::autocast::is_cpu_enabled();
}

at::Tensor DecoderLM::norm(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, bool fused) const {
  if (cfg_.norm == NormKind::RmsNorm) return fused ? fused_rms_norm(x, w, cfg_.norm_eps) : rms_norm(x, w, cfg_.norm_eps);
  return at::layer_norm(x, {cfg_.dim}, w, b, cfg_.norm_eps);
}

at::Tensor DecoderLM::attention(int64_t i, const Block& b, const at::Tensor& h, const at::Tensor& positions,
                                const RopeAngles& angles, KVCache* cache, const Hooks& hooks, bool fused) const {
  const std::string p = "blocks." + std::to_string(i) + ".attn";
  const int64_t B = h.size(0), T = h.size(1), hd = cfg_.head_dim;
  auto heads = [&](const at::Tensor& x, int64_t n) { return x.view({B, T, n, hd}).transpose(1, 2); };
  at::Tensor q, k, v;
  if (fused && cfg_.pos == PosKind::Rope && cfg_.rope_style == RopeStyle::Half && cfg_.rotary_dim == hd &&
      !cfg_.qk_norm && !b.q_b.defined() && !b.k_b.defined() && !b.v_b.defined()) {
    // One product for q|k|v (the weights stacked inside autograd), then head split + RoPE in one pass.
    const auto heads_qkv = fused_qkv_rope(at::linear(h, at::cat({b.q_w, b.k_w, b.v_w})), angles.cos, angles.sin,
                                          cfg_.heads, cfg_.kv_heads);
    q = heads_qkv[0];
    k = heads_qkv[1];
    v = heads_qkv[2];
  } else {
    q = heads(linear(h, b.q_w, b.q_b), cfg_.heads);
    k = heads(linear(h, b.k_w, b.k_b), cfg_.kv_heads);
    v = heads(linear(h, b.v_w, b.v_b), cfg_.kv_heads);
    if (cfg_.qk_norm) {
      q = rms_norm(q, b.q_norm, cfg_.norm_eps);
      k = rms_norm(k, b.k_norm, cfg_.norm_eps);
    }
    if (cfg_.pos == PosKind::Rope) {
      q = rope_.apply(q, angles);
      k = rope_.apply(k, angles);
    }
  }
  hooks.visit(p + ".q", q);
  hooks.visit(p + ".k", k);
  hooks.visit(p + ".v", v);
  at::Tensor a;
  if (fused && !cache && cfg_.attn == AttnKind::Softmax && !hooks.wants(p + ".probs") && strictly_increasing(positions)) {
    a = fused_causal_attention(q, k, v).transpose(1, 2);
  } else {
    at::Tensor key_pos = positions;
    if (cache) {
      const int64_t past = cache->length();
      std::tie(k, v) = cache->append(i, k, v);
      key_pos = at::cat({at::arange(past, positions.options()), positions});
    }
    // Causal: a query sees the keys at its own position and before.
    const at::Tensor mask = key_pos.unsqueeze(0) <= positions.unsqueeze(1);
    const int64_t groups = cfg_.heads / cfg_.kv_heads;  // GQA: query head j reads kv head j / groups
    if (groups > 1) {
      k = k.repeat_interleave(groups, 1);
      v = v.repeat_interleave(groups, 1);
    }
    a = attend(q, k, v, hooks, p, mask, AttnOp{cfg_.attn, b.sinks, cfg_.sigmoid_bias}).transpose(1, 2);
  }
  if (b.attn_gate_w.defined()) {
    // G1: query-dependent sparse gate on each head's output ([B, T, heads, head_dim or 1]).
    at::Tensor g = at::sigmoid(linear(h, b.attn_gate_w, at::Tensor())).view({B, T, cfg_.heads, -1});
    hooks.visit(p + ".gate", g);
    a = a * g;
  }
  a = linear(a.reshape({B, T, cfg_.q_dim()}), b.o_w, b.o_b);
  hooks.visit(p + ".out", a);
  return a;
}

at::Tensor DecoderLM::mlp(int64_t i, const Block& b, const at::Tensor& h, const Hooks& hooks, bool fused) const {
  const std::string p = "blocks." + std::to_string(i) + ".mlp";
  at::Tensor out;
  if (fused && cfg_.swiglu && !hooks.wants(p + ".act")) {
    out = fused_swiglu_mlp(h, b.gate_w, b.up_w, b.down_w);
  } else {
    at::Tensor act = cfg_.swiglu ? at::silu(linear(h, b.gate_w, at::Tensor())) * linear(h, b.up_w, at::Tensor())
                                 : activate(linear(h, b.up_w, b.up_b), cfg_.act);
    hooks.visit(p + ".act", act);
    out = linear(act, b.down_w, b.down_b);
  }
  hooks.visit(p + ".out", out);
  return out;
}

at::Tensor DecoderLM::forward(const at::Tensor& ids, const at::Tensor& positions, KVCache* cache,
                              const Hooks& hooks) const {
  if (ids.dim() != 2 || ids.size(1) != positions.size(0))
    throw Error("input_ids: expected [B, T] with T = " + std::to_string(positions.size(0)) + ", got " +
                c10::str(ids.sizes()));
  if (ids.numel() > 0 && (ids.min().item<int64_t>() < 0 || ids.max().item<int64_t>() >= cfg_.vocab))
    throw Error("input_ids: ids must be in 0.." + std::to_string(cfg_.vocab - 1));
  at::Tensor x = tok_emb_.index_select(0, ids.flatten()).view({ids.size(0), ids.size(1), cfg_.dim});
  if (pos_emb_.defined()) {
    if (positions.numel() > 0 && positions.max().item<int64_t>() >= cfg_.max_positions)
      throw Error("position " + std::to_string(positions.max().item<int64_t>()) + " is beyond the " +
                  std::to_string(cfg_.max_positions) + " learned positions of this model");
    x = x + pos_emb_.index_select(0, positions);
  }
  hooks.visit("tokens_in", x);
  const RopeAngles angles = cfg_.pos == PosKind::Rope ? rope_.angles(positions) : RopeAngles{};
  const bool fused = fused_step(x);
  for (int64_t i = 0; i < cfg_.layers; ++i) {
    const Block& b = blocks_[i];
    if (cfg_.parallel_residual) {
      x = x + attention(i, b, norm(x, b.attn_norm_w, b.attn_norm_b, fused), positions, angles, cache, hooks, fused) +
          mlp(i, b, norm(x, b.mlp_norm_w, b.mlp_norm_b, fused), hooks, fused);
    } else {
      x = x + attention(i, b, norm(x, b.attn_norm_w, b.attn_norm_b, fused), positions, angles, cache, hooks, fused);
      x = x + mlp(i, b, norm(x, b.mlp_norm_w, b.mlp_norm_b, fused), hooks, fused);
    }
    hooks.visit("blocks." + std::to_string(i) + ".out", x);
  }
  if (cache) cache->commit(ids.size(1));
  at::Tensor h = norm(x, final_w_, final_b_, fused);
  hooks.visit("final_norm", h);
  at::Tensor logits = at::linear(h, lm_head_);
  hooks.visit("logits", logits);
  return logits;
}

}  // namespace ss::nn
