// The BPE model of HF tokenizers (tokenizers/src/models/bpe/model.rs): a word's characters become
// vocabulary ids, then the adjacent pair with the lowest merge rank is merged, leftmost first,
// until no pair has a merge. Also byte_fallback (<0xXX> tokens for unknown characters),
// unk_token/fuse_unk and ignore_merges (a word that is itself a token is not split).
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ss::text {

struct BpeOptions {
  std::optional<std::string> unk_token;
  bool byte_fallback = false;
  bool fuse_unk = false;
  bool ignore_merges = false;
};

class BpeModel {
 public:
  // Ids above this are refused: the id -> token table is dense, so a hostile id must not make it
  // huge. Real vocabularies are below 300k.
  static constexpr int32_t kMaxId = 1 << 22;

  // `merges` in rank order. Throws ss::Error "<where>: ..." for an id out of [0, kMaxId), two
  // tokens with one id, a merge whose parts or result are not tokens, or an unk_token that is not.
  BpeModel(std::unordered_map<std::string, int32_t> vocab,
           const std::vector<std::pair<std::string, std::string>>& merges, BpeOptions options,
           const std::string& where);

  // Appends the ids of one pre-tokenized word.
  void encode_word(std::string_view word, std::vector<int32_t>& out) const;

  std::optional<int32_t> id(std::string_view token) const;
  // nullptr for an id without a token.
  const std::string* token(int32_t id) const;
  // One more than the largest id.
  int32_t size() const { return static_cast<int32_t>(id_to_token_.size()); }

 private:
  struct Merge {
    int32_t rank;
    int32_t new_id;
  };
  static uint64_t pair_key(int32_t a, int32_t b) {
    return uint64_t(uint32_t(a)) << 32 | uint32_t(b);
  }

  void encode_cached(std::string_view word, std::vector<int32_t>& out) const;
  void initial_symbols(std::string_view word, std::vector<int32_t>& ids) const;
  void merge(std::vector<int32_t>& ids) const;

  std::unordered_map<std::string, int32_t> vocab_;
  std::vector<const std::string*> id_to_token_;
  std::unordered_map<uint64_t, Merge> merges_;
  BpeOptions options_;
  std::optional<int32_t> unk_id_;
  std::optional<int32_t> byte_ids_[256];  // <0x00>..<0xFF> when byte_fallback
  // SentencePiece-style pipelines (Llama-2) have no pre-tokenizer: a whole text is one word, and
  // merging 1M symbols through one priority queue is slow. When no token has U+2581 right after
  // another character, no merge can cross the start of a run of U+2581, so cutting the word
  // there gives the same ids (and lets the pieces be cached). Checked on the vocab at load.
  bool cut_before_space_marks_ = false;

  // Word -> ids, as in the reference (its cache holds words shorter than 256 bytes). Bounded:
  // cleared when full, so hostile text with millions of distinct words cannot grow it.
  static constexpr size_t kCacheWordMax = 256, kCacheEntries = 1 << 16;
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<int32_t>> cache_;
};

}  // namespace ss::text
