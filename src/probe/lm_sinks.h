// Attention-sink and massive-activation metrics of a decoder LM on a probe set (llm-sinks.md §6,
// M1-M6, M8, M9): Gu et al.'s importance alpha_k and Sink_k^eps (§2.1), the first-token share F-Attn
// (Qiu et al.), hidden-state / key / value norms per position (Gu `compute_norm`, `compute_kv_norm`),
// massive activations (Sun et al. §2) and gate statistics of gated attention (Qiu et al. §3.3).
//
// Everything comes from hooks on one batched forward per chunk of sequences, without a cache: eager
// attention probabilities `blocks.*.attn.probs` (never a fused kernel), the raw residual stream
// `tokens_in` / `blocks.*.out` (before the final norm, llm-sinks.md §6 pitfalls), post-RoPE
// `blocks.*.attn.{q,k,v}` and, when the model has one, `blocks.*.attn.gate`. Sums are accumulated
// per chunk, so memory does not grow with the number of sequences.
#pragma once

#include <ATen/ATen.h>

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "nn/decoder.h"

namespace ss::probe {

struct LmSinkOptions {
  double epsilon = 0.3;  // Gu: a head has a sink on k when alpha_k > eps ("strict and less sensitive to T")
  int64_t batch = 8;     // sequences per forward
  // Sun et al. §2: |h| > 100 and >= 1000x the median |h| of its token's hidden state.
  double massive_abs = 100, massive_ratio = 1000;
  size_t massive_list = 50;                    // distinct (layer, dim, position) entries kept in the report
  std::function<void(int64_t done)> progress;  // sequences finished so far
  // Hooks that change the forward pass (an intervention, a planted mechanism in tests), installed
  // before the measuring ones, so the metrics see the edited tensors.
  std::function<void(nn::Hooks&)> install;
};

// One massive-activation coordinate, aggregated over the sequences in which it fired.
struct MassiveActivation {
  int64_t layer = 0, dim = 0, position = 0;  // position 0-based
  int64_t sequences = 0;                     // in how many probe sequences it was massive
  double mean_value = 0;                     // signed, over those sequences
  double max_abs = 0;
};

struct LmSinkResult {
  int64_t layers = 0, heads = 0, seq_len = 0, sequences = 0;
  double epsilon = 0;
  std::string attention;  // attention variant (nn::attention_variant)
  // Sigmoid / ELU+1 attention: the probs hook sees unnormalised weights w; alpha and F-Attn are then
  // Gu's proxy score w / sum(w) (Table 6 "*").
  bool proxy = false;

  // Double tensors; means over the probe sequences unless noted.
  at::Tensor alpha;      // M1  [L, H, T] alpha_k = sum_{t>=k} A_{t,k} / (T - k + 1)
  at::Tensor sink_rate;  // M2  [T] Sink_k^eps = mean over sequences, layers, heads of 1[alpha_k > eps]
  at::Tensor f_attn;     // M1' [L, H] mean over queries t >= 2 of A_{t,1}
  at::Tensor hidden_norm;  // M3 [L+1, T] ||h_t|| of tokens_in (row 0) and each block's output
  at::Tensor norm_ratio;   // M3 [L+1] ||h_1|| / mean_{t != 1} ||h_t|| from hidden_norm
  at::Tensor k_norm, v_norm;  // M4 [L, T] ||k_t||, ||v_t|| (post-RoPE k), mean over KV heads
  // M8, per [L, H], over queries t >= 2: cos(q_t, k_1) and ||q_t|| ||k_1||, and the same averaged
  // over the other visible keys 2 <= s <= t, so a sink splits into its angle and its norm part.
  at::Tensor cos_q_k1, cos_q_kother, qk1_norm, qkother_norm;
  at::Tensor sink_mass;  // M9 [L, H] 1 - sum_j p_tj (softmax1 / learned sink logits), else undefined

  // M5 / M6 over the block outputs (layer l = blocks.l.out).
  double massive_abs = 0, massive_ratio = 0;  // the thresholds used
  int64_t massive_count = 0;                // (sequence, layer, position, dim) hits
  std::vector<int64_t> massive_per_layer;   // [L]
  std::vector<MassiveActivation> massive;   // most frequent first, at most massive_list
  int64_t massive_distinct = 0;             // distinct (layer, dim, position) before the cut
  std::vector<std::vector<double>> top3;    // [L][3] Sun exp2: top-3 |h| of the layer output, mean over sequences
  std::vector<double> layer_median;         // [L] median |h| over the whole (T, D) output, mean over sequences
  std::vector<double> max_act;              // [L] max |h| over all sequences (M6)
  double m_act = 0;                         // Qiu M-Act: mean over layers of max_act

  // M9 gated attention (empty when the model has no gate): per layer mean sigma(X W_g) and the
  // fraction of gate values below 0.1 (Qiu et al.: 0.116 mean, elementwise).
  std::vector<double> gate_mean, gate_below_0_1;

  double sink(int64_t k) const;  // Sink_k^eps for 1-based k (0 when k > T)
  double f_attn_mean() const;    // F-Attn over all layers and heads
};

// `sequences`: token ids, all of the same length T >= 2, each id in the model's vocabulary.
// Throws ss::Error / ss::UsageError naming what is wrong.
LmSinkResult measure_lm_sinks(const nn::DecoderLM& model, const std::vector<std::vector<int64_t>>& sequences,
                              const LmSinkOptions& opts = {});

// Gu's importance of one attention map: probs [..., T, T] (rows = queries, causal) -> [..., T].
at::Tensor gu_importance(const at::Tensor& probs);

nlohmann::json to_json(const LmSinkResult& r);
// "Sink_1 = 12.5% of heads (eps 0.3), F-Attn 0.21, 3 massive activations (max 812 at layer 2)".
std::string lm_verdict(const LmSinkResult& r);

}  // namespace ss::probe
