// karpathy/llama2.c tokenizer files (tok*.bin, written by tokenizer.py export) and run.c's use of
// them, reproduced byte for byte: build_tokenizer (file layout), encode (dummy prefix, UTF-8
// lookup with byte fallback, best-score pair merging), decode + safe_printf (streaming output).
//
// File: int32 max_token_length, then per token: float32 score, int32 length, `length` bytes. The
// vocabulary size is not stored (run.c takes it from the model): it is what the file holds.
#include <cstdio>
#include <cstring>
#include <unordered_map>

#include "io/mmap_file.h"
#include "text/loaders.h"
#include "text/score_merge.h"
#include "util/error.h"

namespace ss::text {

namespace {

constexpr int32_t kBos = 1, kEos = 2;
constexpr int32_t kByteOffset = 3;  // run.c: byte b falls back to id b + 3
constexpr int32_t kMaxTokenLength = 1 << 16;
constexpr float kNoScore = -1e10f;  // run.c's initial best_score: merges must score above it

// C's isprint/isspace in the "C" locale (run.c never calls setlocale).
bool c_isprint(unsigned char c) { return c >= 0x20 && c < 0x7F; }
bool c_isspace(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

class Llama2cTokenizer : public Tokenizer {
 public:
  Llama2cTokenizer(std::vector<std::string> vocab, std::vector<float> scores, std::string where)
      : vocab_(std::move(vocab)), scores_(std::move(scores)), where_(std::move(where)) {
    // run.c compares pieces as C strings (strcmp in bsearch), so a piece ends at its first NUL.
    // With duplicate strings bsearch may return any of them; the lowest id is kept here.
    for (size_t i = 0; i < vocab_.size(); ++i)
      lookup_.emplace(std::string(vocab_[i].c_str()), static_cast<int32_t>(i));
  }

  std::vector<int32_t> encode(const std::string& text, bool add_special) const override;
  std::string decode(const std::vector<int32_t>& ids, bool skip_special) const override;
  std::string decode_step(int32_t prev, int32_t id) const override;

  std::string piece(int32_t id) const override {
    check_token_id(where_, id, vocab_size());
    return vocab_[id];
  }
  int32_t vocab_size() const override { return static_cast<int32_t>(vocab_.size()); }
  std::optional<int32_t> bos_id() const override { return kBos; }
  std::optional<int32_t> eos_id() const override { return kEos; }
  std::string kind() const override { return "llama2c"; }

 private:
  int32_t find(const std::string& s) const {
    auto it = lookup_.find(s);
    return it == lookup_.end() ? -1 : it->second;
  }

  std::vector<std::string> vocab_;
  std::vector<float> scores_;
  std::unordered_map<std::string, int32_t> lookup_;
  std::string where_;
};

std::vector<int32_t> Llama2cTokenizer::encode(const std::string& text, bool add_special) const {
  const char* c = text.c_str();  // run.c takes a C string: text ends at its first NUL
  const size_t n = std::strlen(c);
  std::vector<int32_t> ids;
  if (add_special) ids.push_back(kBos);
  if (n == 0) return ids;
  int32_t space = find(" ");  // "add_dummy_prefix is true by default"
  if (space < 0) throw Error(where_ + ": has no \" \" token for run.c's dummy prefix");

  // One UTF-8 character at a time (a lead byte and at most 3 continuation bytes); its bytes
  // + 3 when it is not a token.
  std::vector<MergeSymbol> symbols;
  auto push = [&](int32_t id) { symbols.push_back({vocab_[id].c_str(), id}); };
  push(space);
  std::string buf;
  for (size_t i = 0; i < n; ++i) {
    buf += c[i];
    if ((static_cast<unsigned char>(c[i + 1]) & 0xC0) == 0x80 && buf.size() < 4) continue;
    int32_t id = find(buf);
    if (id >= 0) {
      push(id);
    } else {
      for (char b : buf) push(static_cast<unsigned char>(b) + kByteOffset);
    }
    buf.clear();
  }
  // Pairs join as C strings; a merge must score above run.c's initial best_score.
  merge_by_score(symbols,
                 [&](std::string_view l, std::string_view r) -> std::optional<ScoredPiece> {
                   int32_t id = find(std::string(l).append(r));
                   if (id < 0 || !(scores_[id] > kNoScore)) return std::nullopt;
                   return ScoredPiece{id, scores_[id], vocab_[id].c_str()};
                 });
  for (const auto& s : symbols) ids.push_back(s.id);
  return ids;
}

// run.c decode() then safe_printf().
std::string Llama2cTokenizer::decode_step(int32_t prev, int32_t id) const {
  if (id < 0 || id >= vocab_size()) return "";
  const char* piece = vocab_[id].c_str();
  // "following BOS (1) token, sentencepiece decoder strips any leading whitespace"
  if (prev == kBos && piece[0] == ' ') ++piece;
  std::string out = piece;
  unsigned char byte_val;
  if (std::sscanf(piece, "<0x%02hhX>", &byte_val) == 1) {
    out = std::string(1, static_cast<char>(byte_val));
    if (byte_val == 0) out.clear();  // run.c's byte_pieces entry for 0 is an empty C string
  }
  if (out.size() == 1 && !(c_isprint(out[0]) || c_isspace(out[0]))) return "";  // "bad byte"
  return out;
}

std::string Llama2cTokenizer::decode(const std::vector<int32_t>& ids, bool skip_special) const {
  std::string out;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (skip_special && (ids[i] == kBos || ids[i] == kEos)) continue;
    out += decode_step(i ? ids[i - 1] : -1, ids[i]);
  }
  return out;
}

}  // namespace

std::unique_ptr<Tokenizer> load_llama2c(const std::filesystem::path& path) {
  const std::string where = path.string();
  auto file = io::MmapFile::open(where);
  const uint8_t* p = file->data();
  const size_t size = file->size();
  auto read_i32 = [&](size_t off) {
    int32_t v;
    std::memcpy(&v, p + off, 4);
    return v;
  };
  if (size < 4)
    throw Error(where + ": is " + std::to_string(size) +
                " bytes (expected a llama2.c tokenizer: int32 max_token_length, then tokens)");
  const int32_t max_len = read_i32(0);
  if (max_len < 1 || max_len > kMaxTokenLength)
    throw Error(where + ": max_token_length is " + std::to_string(max_len) + " (expected 1.." +
                std::to_string(kMaxTokenLength) + ")");
  std::vector<std::string> vocab;
  std::vector<float> scores;
  for (size_t off = 4; off < size;) {
    const std::string tok =
        "token " + std::to_string(vocab.size()) + " at byte " + std::to_string(off);
    if (size - off < 8)
      throw Error(where + ": truncated: " + tok + " needs 8 bytes of score and length, " +
                  std::to_string(size - off) + " left");
    float score;
    std::memcpy(&score, p + off, 4);
    const int32_t len = read_i32(off + 4);
    off += 8;
    if (len < 0 || len > max_len)
      throw Error(where + ": " + tok + " has length " + std::to_string(len) + " (expected 0.." +
                  std::to_string(max_len) + ", the max_token_length)");
    if (size - off < size_t(len))
      throw Error(where + ": truncated: " + tok + " needs " + std::to_string(len) + " bytes, " +
                  std::to_string(size - off) + " left");
    vocab.emplace_back(reinterpret_cast<const char*>(p + off), size_t(len));
    scores.push_back(score);
    off += size_t(len);
  }
  // encode()'s byte fallback needs ids 3..258: <unk>, <s>, </s>, then the 256 byte tokens.
  if (vocab.size() < 259)
    throw Error(where + ": has " + std::to_string(vocab.size()) +
                " tokens (expected at least 259: <unk>, <s>, </s> and 256 byte tokens)");
  return std::make_unique<Llama2cTokenizer>(std::move(vocab), std::move(scores), where);
}

}  // namespace ss::text
