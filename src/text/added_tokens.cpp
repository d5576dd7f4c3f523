#include "text/added_tokens.h"

#include "text/utf8.h"

namespace ss::text {

namespace {

// JavaScript's \s (what transformers.js trimStart/trimEnd remove for lstrip/rstrip).
bool is_space(uint32_t cp) {
  return (cp >= 0x9 && cp <= 0xD) || cp == 0x20 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

std::string_view trim_start(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i;
    if (!is_space(utf8::next(s, j))) break;
    i = j;
  }
  return s.substr(i);
}

std::string_view trim_end(std::string_view s) {
  size_t keep = 0;  // end of the last non-space character
  for (size_t i = 0; i < s.size();) {
    if (!is_space(utf8::next(s, i))) keep = i;
  }
  return s.substr(0, keep);
}

}  // namespace

AddedTokenSplitter::AddedTokenSplitter(const std::vector<AddedToken>& tokens) : tokens_(tokens) {
  trie_.emplace_back();
  for (size_t t = 0; t < tokens.size(); ++t) {
    const std::string& s = tokens[t].content;
    if (s.empty()) continue;
    first_byte_[uint8_t(s[0])] = true;
    int32_t node = 0;
    for (char c : s) {
      int32_t next = child(node, uint8_t(c));
      if (next < 0) {
        next = static_cast<int32_t>(trie_.size());
        trie_[node].children.emplace_back(uint8_t(c), next);
        trie_.emplace_back();
      }
      node = next;
    }
    trie_[node].token = static_cast<int32_t>(t);
  }
}

int32_t AddedTokenSplitter::child(int32_t node, uint8_t c) const {
  for (const auto& [byte, next] : trie_[node].children)
    if (byte == c) return next;
  return -1;
}

std::vector<AddedTokenSplitter::Section> AddedTokenSplitter::split(std::string_view text) const {
  std::vector<Section> out;
  size_t plain_start = 0;
  for (size_t i = 0; i < text.size();) {
    if (!first_byte_[uint8_t(text[i])]) {
      ++i;
      continue;
    }
    int32_t node = 0, match = -1;
    size_t match_len = 0;
    for (size_t j = i; j < text.size(); ++j) {
      node = child(node, uint8_t(text[j]));
      if (node < 0) break;
      if (trie_[node].token >= 0) {
        match = trie_[node].token;
        match_len = j + 1 - i;
      }
    }
    if (match < 0) {
      ++i;
      continue;
    }
    if (i > plain_start) out.push_back({text.substr(plain_start, i - plain_start), -1});
    out.push_back({text.substr(i, match_len), match});
    i += match_len;
    plain_start = i;
  }
  if (plain_start < text.size()) out.push_back({text.substr(plain_start), -1});

  // transformers.js _encode_text: trim the neighbours of lstrip/rstrip tokens.
  for (size_t k = 0; k < out.size(); ++k) {
    if (out[k].token < 0) continue;
    const AddedToken& t = tokens_[out[k].token];
    if (t.lstrip && k > 0 && out[k - 1].token < 0) out[k - 1].text = trim_end(out[k - 1].text);
    if (t.rstrip && k + 1 < out.size() && out[k + 1].token < 0)
      out[k + 1].text = trim_start(out[k + 1].text);
  }
  std::vector<Section> kept;
  for (const auto& s : out)
    if (s.token >= 0 || !s.text.empty()) kept.push_back(s);
  return kept;
}

}  // namespace ss::text
