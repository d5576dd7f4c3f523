// The HF tokenizers pipeline around a BPE model (tokenizers/src/tokenizer/mod.rs encode/decode):
// split on added tokens -> normalizers -> pre-tokenizers -> BPE per word -> post-processor
// template; decode runs the decoder chain. Only the components that the supported families use
// exist here; hf_json.cpp refuses the others by name.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "text/added_tokens.h"
#include "text/bpe.h"
#include "text/regex.h"
#include "text/tokenizer.h"

namespace ss::text {

struct HfNormalizer {
  enum Kind { kNFC, kPrepend, kReplace } kind;
  std::string pattern;  // Replace: the literal to replace
  std::string content;  // Prepend: the prefix; Replace: the replacement
};

struct HfPreTokenizer {
  enum Kind { kByteLevel, kSplit } kind;
  HfPreTokenizer(Kind k) : kind(k) {}
  bool add_prefix_space = false;  // ByteLevel
  std::shared_ptr<Regex> regex;   // Split (behavior Isolated), or ByteLevel with use_regex
};

struct HfDecoder {
  enum Kind { kByteLevel, kReplace, kByteFallback, kFuse, kStrip } kind;
  HfDecoder(Kind k) : kind(k) {}
  std::string pattern, content;  // Replace: literal -> content; Strip: the character
  int start = 0, stop = 0;       // Strip: how many to remove at each end
};

struct HfPipeline {
  std::string kind;   // "hf-bpe" or "gpt2-bpe"
  std::string where;  // the file, for messages
  std::vector<HfNormalizer> normalizers;
  std::vector<HfPreTokenizer> pre_tokenizers;
  std::unique_ptr<BpeModel> model;
  std::vector<AddedToken> added;
  std::vector<int32_t> prefix, suffix;             // what add_special puts around the ids
  std::optional<std::vector<HfDecoder>> decoders;  // none: tokens joined with spaces
  std::optional<int32_t> bos, eos;
};

// The GPT-2 pre-tokenizer regex (openai/gpt-2 encoder.py; ByteLevel with use_regex).
extern const char* const kGpt2Pattern;

class HfTokenizer : public Tokenizer {
 public:
  explicit HfTokenizer(HfPipeline pipeline);
  // splitter_ refers to p_.added.
  HfTokenizer(const HfTokenizer&) = delete;
  HfTokenizer& operator=(const HfTokenizer&) = delete;

  std::vector<int32_t> encode(const std::string& text, bool add_special) const override;
  std::string decode(const std::vector<int32_t>& ids, bool skip_special) const override;
  std::string decode_step(int32_t prev, int32_t id) const override;
  std::string piece(int32_t id) const override;
  int32_t vocab_size() const override { return vocab_size_; }
  std::optional<int32_t> bos_id() const override { return p_.bos; }
  std::optional<int32_t> eos_id() const override { return p_.eos; }
  std::string kind() const override { return p_.kind; }

 private:
  struct Token {
    const std::string* text = nullptr;  // nullptr: no token has this id
    bool added = false, special = false;
  };
  Token token(int32_t id) const;
  void encode_plain(std::string_view text, std::vector<int32_t>& out) const;
  // The decoder chain over tokens; `stream` is decode_step's mode (raw bytes, Strip only at the
  // start of a stream).
  std::string run_decoders(const std::vector<Token>& tokens, bool stream, bool at_start) const;

  HfPipeline p_;
  AddedTokenSplitter splitter_;
  std::vector<int32_t> added_index_;  // id -> index into p_.added, or -1
  int32_t vocab_size_ = 0;
};

}  // namespace ss::text
