// Key/value cache for decoding. Keys are stored after RoPE; `positions` are the positions the
// stored keys were rotated with. (Eviction policies - window, sink, shift, recompute - build on this;
// issue #3.)
#pragma once

#include <ATen/ATen.h>

#include <vector>

namespace ss::nn {

class KVCache {
 public:
  explicit KVCache(int64_t layers);

  // Writes this step's keys/values ([B, kv_heads, T, d]) for `layer` after the committed entries and
  // returns every key/value to attend to (committed + new). Call for each layer, then commit(T).
  std::pair<at::Tensor, at::Tensor> append(int64_t layer, const at::Tensor& k, const at::Tensor& v);
  void commit(int64_t tokens) { length_ += tokens; }
  int64_t length() const { return length_; }
  void clear() { length_ = 0; }

 private:
  struct Layer {
    at::Tensor k, v;  // capacity along dim 2, grown by doubling
  };
  std::vector<Layer> layers_;
  int64_t length_ = 0;
};

}  // namespace ss::nn
