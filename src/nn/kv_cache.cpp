#include "nn/kv_cache.h"

namespace ss::nn {

KVCache::KVCache(int64_t layers) : layers_(static_cast<size_t>(layers)) {}

std::pair<at::Tensor, at::Tensor> KVCache::append(int64_t layer, const at::Tensor& k, const at::Tensor& v) {
  Layer& l = layers_.at(static_cast<size_t>(layer));
  const int64_t t = k.size(2), need = length_ + t;
  if (!l.k.defined() || l.k.size(2) < need || l.k.size(0) != k.size(0)) {
    int64_t cap = l.k.defined() ? l.k.size(2) : 16;
    while (cap < need) cap *= 2;
    auto grow = [&](const at::Tensor& old, const at::Tensor& like) {
      at::Tensor fresh = at::empty({like.size(0), like.size(1), cap, like.size(3)}, like.options());
      if (old.defined() && length_ > 0) fresh.narrow(2, 0, length_).copy_(old.narrow(2, 0, length_));
      return fresh;
    };
    l.k = grow(l.k, k);
    l.v = grow(l.v, v);
  }
  l.k.narrow(2, length_, t).copy_(k);
  l.v.narrow(2, length_, t).copy_(v);
  return {l.k.narrow(2, 0, need), l.v.narrow(2, 0, need)};
}

}  // namespace ss::nn
