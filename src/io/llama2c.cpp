#include "io/llama2c.h"

#include <cstdint>
#include <cstring>

#include "io/mmap_file.h"
#include "util/error.h"

namespace ss::io {

namespace {

constexpr size_t kHeaderBytes = 7 * sizeof(int32_t);

Llama2cHeader parse_header(const uint8_t* p) {
  int32_t h[7];
  std::memcpy(h, p, sizeof(h));
  // A negative vocab_size means a separate classifier. INT32_MIN has no positive counterpart
  // (negating it is undefined behaviour); 0 instead makes plausible() refuse the header.
  const int32_t vocab = h[5] == INT32_MIN ? 0 : h[5] < 0 ? -h[5] : h[5];
  Llama2cHeader hd{h[0], h[1], h[2], h[3], h[4], vocab, h[6], h[5] > 0};
  return hd;
}

bool plausible(const Llama2cHeader& h) {
  auto in = [](int32_t v, int32_t lo, int32_t hi) { return v >= lo && v <= hi; };
  return in(h.dim, 1, 1 << 16) && in(h.hidden_dim, 1, 1 << 18) && in(h.n_layers, 1, 1024) &&
         in(h.n_heads, 1, 1024) && in(h.n_kv_heads, 1, h.n_heads) && h.n_heads % h.n_kv_heads == 0 &&
         h.dim % h.n_heads == 0 && in(h.vocab_size, 1, 1 << 22) && in(h.seq_len, 1, 1 << 24);
}

}  // namespace

bool looks_like_llama2c(const std::string& path) {
  const auto file = MmapFile::open(path);
  return file->size() >= kHeaderBytes && plausible(parse_header(file->data()));
}

std::vector<RawTensor> read_llama2c(const std::string& path, Llama2cHeader* header) {
  const auto file = MmapFile::open(path);
  if (file->size() < kHeaderBytes) throw Error(path + ": too short for a llama2.c header (28 bytes)");
  const Llama2cHeader h = parse_header(file->data());
  if (!plausible(h))
    throw Error(path + ": not a llama2.c checkpoint (header dim " + std::to_string(h.dim) + ", layers " +
                std::to_string(h.n_layers) + ", heads " + std::to_string(h.n_heads) + "/" +
                std::to_string(h.n_kv_heads) + ", vocab " + std::to_string(h.vocab_size) + ")");
  const int64_t D = h.dim, L = h.n_layers, H = h.hidden_dim, V = h.vocab_size;
  const int64_t kv = D / h.n_heads * h.n_kv_heads, rope_half = D / h.n_heads / 2;

  std::vector<RawTensor> out;
  size_t offset = kHeaderBytes;
  // Takes `count` consecutive [rows, cols] float32 matrices (one per layer when count = L).
  // plausible() bounds every dimension, so these products stay far below 2^63.
  auto take = [&](const std::string& name, int64_t count, std::vector<int64_t> shape) {
    int64_t per = 1;
    for (int64_t d : shape) per *= d;
    const size_t bytes = static_cast<size_t>(count * per) * sizeof(float);
    if (offset + bytes > file->size())
      throw Error(path + ": truncated at " + name + " (needs " + std::to_string(offset + bytes) + " bytes, file has " +
                  std::to_string(file->size()) + ")");
    for (int64_t i = 0; i < count; ++i) {
      RawTensor t;
      t.name = name;
      if (const auto at = name.find("{i}"); at != std::string::npos) t.name.replace(at, 3, std::to_string(i));
      t.dtype = DType::F32;
      t.shape = shape;
      t.data = file->data() + offset;
      t.nbytes = static_cast<size_t>(per) * sizeof(float);
      t.owner = file;
      offset += t.nbytes;
      out.push_back(std::move(t));
    }
  };
  take("tok_embeddings.weight", 1, {V, D});
  take("layers.{i}.attention_norm.weight", L, {D});
  take("layers.{i}.attention.wq.weight", L, {D, D});
  take("layers.{i}.attention.wk.weight", L, {kv, D});
  take("layers.{i}.attention.wv.weight", L, {kv, D});
  take("layers.{i}.attention.wo.weight", L, {D, D});
  take("layers.{i}.ffn_norm.weight", L, {D});
  take("layers.{i}.feed_forward.w1.weight", L, {H, D});
  take("layers.{i}.feed_forward.w2.weight", L, {D, H});
  take("layers.{i}.feed_forward.w3.weight", L, {H, D});
  take("norm.weight", 1, {D});
  // freq_cis_real / freq_cis_imag [seq_len, head_dim / 2]: recomputed from theta 10000, skipped.
  const size_t rope_bytes = static_cast<size_t>(h.seq_len) * static_cast<size_t>(rope_half) * 2 * sizeof(float);
  if (offset + rope_bytes > file->size()) throw Error(path + ": truncated in the RoPE tables");
  offset += rope_bytes;
  if (!h.shared_classifier) take("output.weight", 1, {V, D});
  if (offset != file->size())
    throw Error(path + ": " + std::to_string(file->size() - offset) + " unexpected bytes after the last tensor");
  if (header) *header = h;
  return out;
}

}  // namespace ss::io
