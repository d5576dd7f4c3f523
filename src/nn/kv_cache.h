// Key/value cache for decoding, and the eviction policies that keep it bounded on endless streams.
//
// Positions are cache slots, not positions in the text (StreamingLLM §3.2): the token decoded into
// slot s is rotated at position s, and when entries are evicted the keys behind them move down and
// are re-rotated by the shift (post-RoPE storage + delta rotation, R(p - d) = R(-d) R(p); llm-sinks.md
// §1.9). Keys are stored after RoPE. With learned absolute positions (GPT-2) cached entries keep the
// position they were computed with - they cannot be re-positioned - and new tokens take their slot.
#pragma once

#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "nn/rope.h"

namespace ss::nn {

// --cache dense | window:W | recompute:W | sink:S+W | shift:S+W
struct CachePolicy {
  enum Kind { Dense, Window, Recompute, Sink, Shift } kind = Dense;
  int64_t sink = 0;    // first entries kept forever (attention sinks)
  int64_t window = 0;  // most recent entries kept

  static CachePolicy parse(const std::string& spec);  // throws ss::UsageError naming the spec
  std::string name() const;
  int64_t capacity() const { return kind == Dense ? -1 : sink + window; }
};

class KVCache {
 public:
  explicit KVCache(int64_t layers);

  // Writes this step's keys/values ([B, kv_heads, T, d]) for `layer` after the committed entries and
  // returns every key/value to attend to (committed + new). Call for each layer, then commit(T).
  std::pair<at::Tensor, at::Tensor> append(int64_t layer, const at::Tensor& k, const at::Tensor& v);
  void commit(int64_t tokens) { length_ += tokens; }
  int64_t length() const { return length_; }
  void clear() { length_ = 0; }

  // Removes slots [start, start + count) in every layer; later entries move down by `count` and,
  // when `rope` is given, their keys are re-rotated by -count.
  void evict(int64_t start, int64_t count, const Rope* rope);
  // Applies `policy` after a step: sink/window evict one token at a time down to S + W entries
  // (StartRecentKVCache); shift discards half of the window at once when full (llama.cpp n_discard).
  void trim(const CachePolicy& policy, const Rope* rope);

 private:
  struct Layer {
    at::Tensor k, v;  // capacity along dim 2, grown by doubling
  };
  std::vector<Layer> layers_;
  int64_t length_ = 0;
};

}  // namespace ss::nn
