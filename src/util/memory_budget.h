// Refuse requests that cannot fit up front, with the estimate in the message, instead of letting
// the OOM killer end a run minutes (or hours) in.
#pragma once

#include <string>

namespace ss {

// Bytes this process may still allocate: $SINKSCOPE_MEMORY_LIMIT_MB when set (tests pin it), else
// MemAvailable from /proc/meminfo. 0 when unknown (then nothing is refused).
double available_memory_bytes();

// Throws ss::UsageError("WHAT needs about X GiB, more than the Y GiB available") when `bytes`
// exceeds available_memory_bytes(). Callers pass rough, documented estimates of the dominant
// allocations; refusing only above all available memory keeps normal runs untouched.
void require_memory(const std::string& what, double bytes);

// The estimates: rough on purpose (the dominant allocations only, no allocator slack), so that a
// refusal means "clearly cannot fit", never "might be tight".

// One transformer forward pass over `batch` sequences of `tokens` tokens, each element `elem` bytes:
//   batch * tokens * (6 * dim + 2 * hidden) * elem       live activations of one block (residual,
//                                                         norm, q, k, v, attention output; MLP hidden)
// + batch * heads * tokens^2 * 2 * elem                  attention logits + probs, when materialised
// `attention_matrix` is false only where attention runs fused (torch >= 2 SDPA, probs not requested).
double transformer_forward_bytes(double batch, double tokens, double dim, double hidden, double heads,
                                 bool attention_matrix, double elem);

// A dense KV cache of `tokens` positions: layers * 2 (k and v) * kv_dim * tokens * 4 bytes (f32).
double kv_cache_bytes(double layers, double kv_dim, double tokens);

// One training step of a Llama-style LM (f32 master weights), activations kept for backward:
//   batch * seq_len * layers * (12 * dim + 3 * ffn + 2 * heads * seq_len) * 4
//     (norms, q/k/v/o, residuals; SwiGLU gate/up/act; attention logits + probs per head)
// + 4 * params * 4 with params = layers * (4 * dim^2 + 3 * dim * ffn)   (weights, grads, AdamW m and v)
double lm_train_step_bytes(double batch, double seq_len, double layers, double dim, double ffn, double heads);

}  // namespace ss
