#include "nn/kv_cache.h"

#include <cstdlib>

#include "util/error.h"

namespace ss::nn {

namespace {

int64_t parse_size(const std::string& s, const std::string& spec) {
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || v < 0 || v > (1LL << 24))
    throw UsageError("--cache '" + spec + "': '" + s + "' is not a size in 0..2^24");
  return v;
}

}  // namespace

CachePolicy CachePolicy::parse(const std::string& spec) {
  CachePolicy p;
  const auto colon = spec.find(':');
  const std::string kind = spec.substr(0, colon), arg = colon == std::string::npos ? "" : spec.substr(colon + 1);
  const std::string expected = "expected dense, window:W, recompute:W, sink:S+W or shift:S+W";
  if (kind == "dense" && colon == std::string::npos) return p;
  if (colon == std::string::npos) throw UsageError("--cache '" + spec + "': " + expected);
  if (kind == "window" || kind == "recompute") {
    p.kind = kind == "window" ? Window : Recompute;
    p.window = parse_size(arg, spec);
  } else if (kind == "sink" || kind == "shift") {
    const auto plus = arg.find('+');
    if (plus == std::string::npos) throw UsageError("--cache '" + spec + "': " + expected);
    p.kind = kind == "sink" ? Sink : Shift;
    p.sink = parse_size(arg.substr(0, plus), spec);
    p.window = parse_size(arg.substr(plus + 1), spec);
  } else {
    throw UsageError("--cache '" + spec + "': " + expected);
  }
  if (p.window < 1 || (p.kind == Shift && p.window < 2))
    throw UsageError("--cache '" + spec + "': the window must hold at least " + (p.kind == Shift ? "2" : "1") +
                     " tokens");
  return p;
}

std::string CachePolicy::name() const {
  switch (kind) {
    case Dense: return "dense";
    case Window: return "window:" + std::to_string(window);
    case Recompute: return "recompute:" + std::to_string(window);
    case Sink: return "sink:" + std::to_string(sink) + "+" + std::to_string(window);
    case Shift: return "shift:" + std::to_string(sink) + "+" + std::to_string(window);
  }
  return "?";
}

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

void KVCache::evict(int64_t start, int64_t count, const Rope* rope) {
  if (count <= 0) return;
  if (start < 0 || start + count > length_) throw Error("cache eviction outside the cached entries");
  const int64_t tail = length_ - start - count;
  for (auto& l : layers_) {
    if (!l.k.defined()) continue;
    at::Tensor k_tail = l.k.narrow(2, start + count, tail).clone();
    if (rope) k_tail = rope->apply(k_tail, at::full({tail}, -count, at::kLong));
    l.k.narrow(2, start, tail).copy_(k_tail);
    l.v.narrow(2, start, tail).copy_(l.v.narrow(2, start + count, tail).clone());
  }
  length_ -= count;
}

void KVCache::trim(const CachePolicy& p, const Rope* rope) {
  switch (p.kind) {
    case CachePolicy::Dense:
    case CachePolicy::Recompute: return;  // recompute rebuilds its cache every token (nn/stream.h)
    case CachePolicy::Window:
    case CachePolicy::Sink:
      if (length_ > p.sink + p.window) evict(p.sink, length_ - p.sink - p.window, rope);
      return;
    case CachePolicy::Shift:
      if (length_ >= p.sink + p.window) evict(p.sink, p.window / 2, rope);
      return;
  }
}

}  // namespace ss::nn
