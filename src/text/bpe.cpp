#include "text/bpe.h"

#include <cstdio>
#include <queue>

#include "text/utf8.h"
#include "util/error.h"

namespace ss::text {

namespace {

constexpr std::string_view kSpaceMark = "\xE2\x96\x81";  // U+2581

// Whether s has U+2581 at byte `pos` and some other character before it.
bool space_mark_after_other(std::string_view s, size_t pos) {
  return pos > 0 && s.compare(pos, 3, kSpaceMark) == 0 &&
         (pos < 3 || s.compare(pos - 3, 3, kSpaceMark) != 0);
}

}  // namespace

BpeModel::BpeModel(std::unordered_map<std::string, int32_t> vocab,
                   const std::vector<std::pair<std::string, std::string>>& merges,
                   BpeOptions options, const std::string& where)
    : vocab_(std::move(vocab)), options_(std::move(options)) {
  int32_t max_id = -1;
  for (const auto& [tok, id] : vocab_) {
    if (id < 0 || id >= kMaxId)
      throw Error(where + ": id " + std::to_string(id) + " of vocab token \"" + tok +
                  "\" is out of range (expected 0.." + std::to_string(kMaxId - 1) + ")");
    max_id = std::max(max_id, id);
  }
  id_to_token_.assign(size_t(max_id + 1), nullptr);
  for (const auto& [tok, id] : vocab_) {
    if (id_to_token_[id])
      throw Error(where + ": vocab tokens \"" + *id_to_token_[id] + "\" and \"" + tok +
                  "\" have the same id " + std::to_string(id) + " (expected one token per id)");
    id_to_token_[id] = &tok;
  }

  merges_.reserve(merges.size());
  std::string joined;
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    // Named references, not a structured binding: C++17 lambdas cannot capture those (gcc allows
    // it as an extension, clang refuses).
    const std::string& a = merges[rank].first;
    const std::string& b = merges[rank].second;
    joined.assign(a).append(b);
    auto part = [&](const std::string& t) {
      auto it = vocab_.find(t);
      if (it == vocab_.end())
        throw Error(where + ": merge " + std::to_string(rank) + " (\"" + a + "\", \"" + b +
                    "\") uses \"" + t + "\", which is not in the vocab");
      return it->second;
    };
    int32_t ia = part(a), ib = part(b), inew = part(joined);
    // A repeated pair keeps its last rank, as the reference's HashMap collect does.
    merges_[pair_key(ia, ib)] = Merge{static_cast<int32_t>(rank), inew};
  }

  // A merge across the start of a run of U+2581 would form a token with U+2581 right after
  // another character; the symbol before the cut is that character, a <0xXX> byte token or unk
  // (so unk must not end with U+2581), the one after it is the U+2581 token (so it must exist).
  // ignore_merges looks a word up whole, which a cut word would no longer be.
  cut_before_space_marks_ =
      !options_.ignore_merges && vocab_.count(std::string(kSpaceMark)) &&
      !(options_.unk_token && options_.unk_token->size() >= 3 &&
        options_.unk_token->compare(options_.unk_token->size() - 3, 3, kSpaceMark) == 0);
  for (const auto& [tok, id] : vocab_)
    for (size_t pos = tok.find(kSpaceMark, 1); cut_before_space_marks_ && pos != std::string::npos;
         pos = tok.find(kSpaceMark, pos + 1))
      if (space_mark_after_other(tok, pos)) cut_before_space_marks_ = false;

  if (options_.unk_token) {
    auto it = vocab_.find(*options_.unk_token);
    if (it == vocab_.end())
      throw Error(where + ": unk_token \"" + *options_.unk_token + "\" is not in the vocab");
    unk_id_ = it->second;
  }
  if (options_.byte_fallback) {
    for (int b = 0; b < 256; ++b) {
      char name[8];
      std::snprintf(name, sizeof name, "<0x%02X>", b);
      if (auto it = vocab_.find(name); it != vocab_.end()) byte_ids_[b] = it->second;
    }
  }
}

std::optional<int32_t> BpeModel::id(std::string_view token) const {
  auto it = vocab_.find(std::string(token));
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

const std::string* BpeModel::token(int32_t id) const {
  if (id < 0 || id >= size()) return nullptr;
  return id_to_token_[id];
}

// model.rs BPE::merge_word, first half: one symbol per character; an unknown character becomes
// its <0xXX> byte tokens when byte_fallback has all of them, else unk (consecutive unks fused
// into one with fuse_unk), else nothing.
void BpeModel::initial_symbols(std::string_view word, std::vector<int32_t>& ids) const {
  bool last_was_unk = false;
  for (size_t i = 0; i < word.size();) {
    size_t n = utf8::sequence_length(word, i);
    if (n == 0) n = 1;  // callers pass valid UTF-8; never loop forever if not
    std::string_view ch = word.substr(i, n);
    i += n;
    if (auto it = vocab_.find(std::string(ch)); it != vocab_.end()) {
      ids.push_back(it->second);
      last_was_unk = false;
      continue;
    }
    if (options_.byte_fallback) {
      bool all = true;
      for (char c : ch) all = all && byte_ids_[uint8_t(c)].has_value();
      if (all) {
        for (char c : ch) ids.push_back(*byte_ids_[uint8_t(c)]);
        last_was_unk = false;
        continue;
      }
    }
    if (!unk_id_) continue;
    if (!(options_.fuse_unk && last_was_unk)) ids.push_back(*unk_id_);
    last_was_unk = true;
  }
}

// model.rs Word::merge_all: a priority queue of candidate merges ordered by (rank, position);
// entries made stale by an earlier merge are recognised and dropped when popped.
void BpeModel::merge(std::vector<int32_t>& ids) const {
  const int32_t n = static_cast<int32_t>(ids.size());
  if (n < 2) return;
  std::vector<int32_t> prev(n), next(n);
  std::vector<char> alive(n, 1);
  for (int32_t i = 0; i < n; ++i) {
    prev[i] = i - 1;
    next[i] = i + 1 < n ? i + 1 : -1;
  }
  // Ordered by (rank, position) packed in one integer; the smallest pops first.
  struct Candidate {
    uint64_t order;
    int32_t new_id;
    int32_t pos() const { return static_cast<int32_t>(order & 0xFFFFFFFF); }
    int32_t rank() const { return static_cast<int32_t>(order >> 32); }
    bool operator>(const Candidate& o) const { return order > o.order; }
  };
  std::vector<Candidate> storage;
  storage.reserve(size_t(n) * 2);
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> queue(
      std::greater<Candidate>(), std::move(storage));
  auto consider = [&](int32_t left) {
    if (left < 0 || next[left] < 0) return;
    auto it = merges_.find(pair_key(ids[left], ids[next[left]]));
    if (it != merges_.end())
      queue.push({uint64_t(uint32_t(it->second.rank)) << 32 | uint32_t(left), it->second.new_id});
  };
  for (int32_t i = 0; i + 1 < n; ++i) consider(i);

  while (!queue.empty()) {
    const Candidate c = queue.top();
    queue.pop();
    const int32_t pos = c.pos();
    if (!alive[pos] || next[pos] < 0) continue;
    const int32_t right = next[pos];
    auto it = merges_.find(pair_key(ids[pos], ids[right]));
    if (it == merges_.end() || it->second.new_id != c.new_id || it->second.rank != c.rank())
      continue;
    ids[pos] = c.new_id;
    alive[right] = 0;
    next[pos] = next[right];
    if (next[right] >= 0) prev[next[right]] = pos;
    consider(prev[pos]);
    consider(pos);
  }
  size_t w = 0;
  for (int32_t i = 0; i < n; ++i)
    if (alive[i]) ids[w++] = ids[i];
  ids.resize(w);
}

void BpeModel::encode_word(std::string_view word, std::vector<int32_t>& out) const {
  if (word.empty()) return;
  if (options_.ignore_merges) {
    if (auto id = this->id(word)) {
      out.push_back(*id);
      return;
    }
  }
  if (!cut_before_space_marks_) return encode_cached(word, out);
  size_t start = 0;
  for (size_t pos = word.find(kSpaceMark, 1); pos != std::string_view::npos;
       pos = word.find(kSpaceMark, pos + 1)) {
    if (!space_mark_after_other(word, pos)) continue;
    encode_cached(word.substr(start, pos - start), out);
    start = pos;
  }
  encode_cached(word.substr(start), out);
}

void BpeModel::encode_cached(std::string_view word, std::vector<int32_t>& out) const {
  const bool cacheable = word.size() < kCacheWordMax;
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (auto it = cache_.find(std::string(word)); it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  std::vector<int32_t> ids;
  initial_symbols(word, ids);
  merge(ids);
  out.insert(out.end(), ids.begin(), ids.end());
  if (cacheable) {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (cache_.size() >= kCacheEntries) cache_.clear();
    cache_.emplace(std::string(word), std::move(ids));
  }
}

}  // namespace ss::text
