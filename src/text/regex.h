// A PCRE2 regex in UTF + UCP mode (\p{L}, \s, \d are Unicode-aware, as in the Rust `regex`/`onig`
// patterns HF tokenizers were written for; std::regex knows no \p{..}).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ss::text {

class Regex {
 public:
  // Throws ss::Error "<where>: ..." when the pattern does not compile.
  Regex(const std::string& pattern, const std::string& where);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // Appends to `out` the pieces of `text` (valid UTF-8) in order: each match and each non-empty
  // stretch between matches (HF Split with behavior "Isolated"; transformers.js regexSplit).
  // Empty matches split nothing. Throws ss::Error when PCRE2 gives up (match limit).
  void split_isolated(std::string_view text, std::vector<std::string_view>& out) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ss::text
