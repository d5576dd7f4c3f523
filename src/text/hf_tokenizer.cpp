#include "text/hf_tokenizer.h"

#include <algorithm>

#include "text/byte_level.h"
#include "text/nfc.h"
#include "text/utf8.h"
#include "text/loaders.h"
#include "util/error.h"

namespace ss::text {

const char* const kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

namespace {

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  if (from.empty() || s.find(from) == std::string::npos) return;
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  for (size_t hit; (hit = s.find(from, pos)) != std::string::npos; pos = hit + from.size()) {
    out.append(s, pos, hit - pos);
    out += to;
  }
  out.append(s, pos, std::string::npos);
  s = std::move(out);
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// decoders/byte_fallback.rs: a token spelled exactly "<0xXX>" stands for one byte.
int fallback_byte(const std::string& t) {
  if (t.size() != 6 || t.compare(0, 3, "<0x") != 0 || t[5] != '>') return -1;
  int hi = hex_digit(t[3]), lo = hex_digit(t[4]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

}  // namespace

HfTokenizer::HfTokenizer(HfPipeline pipeline) : p_(std::move(pipeline)), splitter_(p_.added) {
  vocab_size_ = p_.model->size();
  for (const auto& a : p_.added) vocab_size_ = std::max(vocab_size_, a.id + 1);
  added_index_.assign(size_t(vocab_size_), -1);
  for (size_t i = 0; i < p_.added.size(); ++i) added_index_[p_.added[i].id] = int32_t(i);
}

HfTokenizer::Token HfTokenizer::token(int32_t id) const {
  if (id < 0 || id >= vocab_size_) return {};
  if (int32_t a = added_index_[id]; a >= 0)
    return {&p_.added[a].content, true, p_.added[a].special};
  return {p_.model->token(id), false, false};
}

std::vector<int32_t> HfTokenizer::encode(const std::string& text, bool add_special) const {
  const std::string valid = utf8::to_valid(text);
  std::vector<int32_t> ids;
  if (add_special) ids = p_.prefix;
  for (const auto& section : splitter_.split(valid)) {
    if (section.token >= 0)
      ids.push_back(p_.added[section.token].id);
    else
      encode_plain(section.text, ids);
  }
  if (add_special) ids.insert(ids.end(), p_.suffix.begin(), p_.suffix.end());
  return ids;
}

void HfTokenizer::encode_plain(std::string_view text, std::vector<int32_t>& out) const {
  std::string s(text);
  for (const auto& n : p_.normalizers) {
    switch (n.kind) {
      case HfNormalizer::kNFC:
        s = nfc(s);
        break;
      case HfNormalizer::kPrepend:
        if (!s.empty()) s = n.content + s;
        break;
      case HfNormalizer::kReplace:
        replace_all(s, n.pattern, n.content);
        break;
    }
  }
  if (s.empty()) return;

  std::vector<std::string> pieces{std::move(s)};
  std::vector<std::string_view> parts;
  for (const auto& pt : p_.pre_tokenizers) {
    std::vector<std::string> next;
    for (const auto& piece : pieces) {
      std::string prefixed;
      std::string_view v = piece;
      if (pt.kind == HfPreTokenizer::kByteLevel && pt.add_prefix_space && piece[0] != ' ') {
        prefixed = " " + piece;
        v = prefixed;
      }
      parts.clear();
      if (pt.regex)
        pt.regex->split_isolated(v, parts);
      else
        parts.push_back(v);
      for (auto part : parts)
        next.push_back(pt.kind == HfPreTokenizer::kByteLevel ? byte_level::encode(part)
                                                             : std::string(part));
    }
    pieces = std::move(next);
  }
  for (const auto& piece : pieces) p_.model->encode_word(piece, out);
}

std::string HfTokenizer::run_decoders(const std::vector<Token>& tokens, bool stream,
                                      bool at_start) const {
  std::vector<std::string> cur;
  std::vector<bool> added;
  for (const auto& t : tokens) {
    cur.push_back(*t.text);
    added.push_back(t.added);
  }
  if (!p_.decoders) {  // tokenizer/mod.rs decode without a decoder: tokens joined with spaces
    std::string out;
    for (size_t i = 0; i < cur.size(); ++i) out += (i ? " " : "") + cur[i];
    return out;
  }
  for (const auto& d : *p_.decoders) {
    std::vector<std::string> next;
    switch (d.kind) {
      case HfDecoder::kByteLevel: {
        // Byte-level tokens are mapped back to bytes, a run at a time; added tokens are kept as
        // written (transformers.js ByteLevelDecoder; transformers' convert_tokens_to_string).
        // A token with a character outside the mapping keeps its bytes (byte_level.rs).
        std::string bytes, run;
        bool in_run = false;
        for (size_t i = 0; i < cur.size(); ++i) {
          if (added[i]) {
            if (in_run) next.push_back(std::move(run));
            run.clear();
            in_run = false;
            next.push_back(cur[i]);
            continue;
          }
          run += byte_level::decode(cur[i], bytes) ? bytes : cur[i];
          in_run = true;
        }
        if (in_run) next.push_back(std::move(run));
        break;
      }
      case HfDecoder::kReplace:
        for (auto& s : cur) replace_all(s, d.pattern, d.content);
        next = std::move(cur);
        break;
      case HfDecoder::kByteFallback: {
        // Consecutive byte tokens become their bytes when those are valid UTF-8, else one U+FFFD
        // per byte (byte_fallback.rs). A stream passes the bytes on: the next steps complete them.
        std::string run;
        auto flush = [&] {
          if (run.empty()) return;
          if (stream || utf8::is_valid(run)) {
            next.push_back(run);
          } else {
            for (size_t k = 0; k < run.size(); ++k) next.push_back("\xEF\xBF\xBD");
          }
          run.clear();
        };
        for (auto& s : cur) {
          int b = fallback_byte(s);
          if (b >= 0) {
            run += static_cast<char>(b);
          } else {
            flush();
            next.push_back(std::move(s));
          }
        }
        flush();
        break;
      }
      case HfDecoder::kFuse: {
        std::string all;
        for (const auto& s : cur) all += s;
        next.push_back(std::move(all));
        break;
      }
      case HfDecoder::kStrip:
        // decoders/strip.rs strips each token; a stream only strips where the text starts.
        for (auto& s : cur) {
          if (!stream || at_start) {
            size_t b = 0, e = s.size();
            for (int k = 0; k < d.start && s.compare(b, d.content.size(), d.content) == 0; ++k)
              b += d.content.size();
            for (int k = 0; k < d.stop && e - b >= d.content.size() &&
                            s.compare(e - d.content.size(), d.content.size(), d.content) == 0;
                 ++k)
              e -= d.content.size();
            s = s.substr(b, e - b);
          }
        }
        next = std::move(cur);
        break;
    }
    // Replace and Strip map token to token, so the added flags still line up; after the other
    // steps no output is an added token any more.
    if (d.kind != HfDecoder::kReplace && d.kind != HfDecoder::kStrip)
      added.assign(next.size(), false);
    cur = std::move(next);
  }
  std::string out;
  for (const auto& s : cur) out += s;
  return out;
}

std::string HfTokenizer::decode(const std::vector<int32_t>& ids, bool skip_special) const {
  std::vector<Token> tokens;
  tokens.reserve(ids.size());
  for (int32_t id : ids) {
    Token t = token(id);
    if (t.text && !(skip_special && t.special)) tokens.push_back(t);
  }
  return utf8::to_valid(run_decoders(tokens, false, true));
}

std::string HfTokenizer::decode_step(int32_t prev, int32_t id) const {
  Token t = token(id);
  if (!t.text) return "";
  return run_decoders({t}, true, prev < 0 || token(prev).special);
}

std::string HfTokenizer::piece(int32_t id) const {
  check_token_id(p_.where, id, vocab_size_);
  Token t = token(id);
  return t.text ? *t.text : std::string();
}

}  // namespace ss::text
