// Splitting text on added tokens before normalization (HF tokenizers AddedVocabulary with
// leftmost-longest matching; transformers.js DictionarySplitter), so that "<|im_start|>" in the
// input becomes its id and never reaches the BPE model.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ss::text {

struct AddedToken {
  std::string content;
  int32_t id = 0;
  bool special = false;
  bool lstrip = false;  // swallow whitespace to the left of a match
  bool rstrip = false;  // ... and to the right
};

class AddedTokenSplitter {
 public:
  // Longer tokens make the worst case (text full of near-matches) quadratic: refused at load.
  static constexpr size_t kMaxLength = 256;

  explicit AddedTokenSplitter(const std::vector<AddedToken>& tokens);

  struct Section {
    std::string_view text;  // a stretch of plain text (token < 0) or the matched token
    int32_t token;          // index into the tokens, or -1
  };
  // At each position the longest token starting there wins; the leftmost match first. Plain
  // sections next to an lstrip/rstrip token lose their whitespace on that side; empty plain
  // sections are dropped.
  std::vector<Section> split(std::string_view text) const;

 private:
  struct Node {
    std::vector<std::pair<uint8_t, int32_t>> children;
    int32_t token = -1;
  };
  int32_t child(int32_t node, uint8_t c) const;

  const std::vector<AddedToken>& tokens_;
  std::vector<Node> trie_;
  bool first_byte_[256] = {};
};

}  // namespace ss::text
