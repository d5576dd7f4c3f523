// llama2.c checkpoints (karpathy/llama2.c export.py `legacy_export`, "v0"): a header of 7 int32
// (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len; a negative vocab_size means
// the classifier is stored separately), then float32 arrays in a fixed order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/raw_tensor.h"

namespace ss::io {

struct Llama2cHeader {
  int32_t dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len;
  bool shared_classifier;
};

// True when the file starts like a plausible llama2.c v0 header (used to tell it from other formats).
bool looks_like_llama2c(const std::string& path);

// Tensors named as in llama2.c's model.py, stacked per layer in the file and split here:
// tok_embeddings.weight, layers.{i}.attention_norm.weight, layers.{i}.attention.{wq,wk,wv,wo}.weight,
// layers.{i}.ffn_norm.weight, layers.{i}.feed_forward.{w1,w2,w3}.weight, norm.weight,
// output.weight (only when not shared). RoPE tables in the file are skipped (recomputed).
std::vector<RawTensor> read_llama2c(const std::string& path, Llama2cHeader* header);

}  // namespace ss::io
