// Tokenizers for the language models sinkscope runs, without torch. One interface over the
// formats real checkpoints ship with:
//   llama2c        karpathy/llama2.c tok*.bin (run.c's encode/decode/safe_printf, byte for byte)
//   sentencepiece  *.model BPE models, read natively and checked against libsentencepiece
//   hf-bpe         HF tokenizer.json with a BPE model (GPT-2, Llama-2/TinyLlama, Llama-3, Qwen2/3,
//                  gpt-oss pipelines), checked id for id against transformers.js
//   gpt2-bpe       GPT-2 vocab.json + merges.txt (the same pipeline as a GPT-2 tokenizer.json)
//   byte           bytes 0..255 plus BOS/EOS, for the small models we train
//
// Text is bytes (std::string). The HF pipelines work on Unicode text, so encode() first replaces
// each invalid UTF-8 sequence by U+FFFD exactly as a WHATWG TextDecoder / Rust from_utf8_lossy do;
// llama2c and the byte tokenizer take the bytes as they are, SentencePiece applies its own rule.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace ss::text {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Token ids for `text`. add_special: add what the tokenizer's configuration adds around a
  // single sequence (HF post_processor template or tokenizer_config add_bos_token/add_eos_token;
  // llama2.c, SentencePiece and byte: BOS only).
  virtual std::vector<int32_t> encode(const std::string& text, bool add_special = true) const = 0;

  // The text of `ids`. Ids the tokenizer has no entry for are skipped (like HF tokenizers).
  // skip_special drops special tokens (BOS, EOS, ...) instead of writing their text.
  virtual std::string decode(const std::vector<int32_t>& ids, bool skip_special = false) const = 0;

  // Streaming: the bytes to print when `id` follows `prev` (prev = -1 at the start). The bytes of
  // one step may be an incomplete UTF-8 sequence that the next steps complete. For llama2.c this
  // is exactly what run.c prints (decode() + safe_printf()).
  virtual std::string decode_step(int32_t prev, int32_t id) const = 0;

  // The vocabulary entry of `id` as stored (e.g. "Ġthe", "▁the", "<0x0A>"), for display.
  // Throws ss::Error when id is outside [0, vocab_size()).
  virtual std::string piece(int32_t id) const = 0;

  virtual int32_t vocab_size() const = 0;
  virtual std::optional<int32_t> bos_id() const = 0;
  virtual std::optional<int32_t> eos_id() const = 0;
  // "llama2c", "sentencepiece", "hf-bpe", "gpt2-bpe" or "byte".
  virtual std::string kind() const = 0;
};

// A file (tok*.bin, *.model, tokenizer.json, vocab.json with merges.txt beside it) or a folder
// (tokenizer.json, else tokenizer.model, else vocab.json + merges.txt), detected by name and
// content. tokenizer_config.json next to a tokenizer.json supplies BOS/EOS and add_bos_token.
// Throws ss::Error "<file>: <what is wrong>" for anything malformed or unsupported.
std::unique_ptr<Tokenizer> load_tokenizer(const std::filesystem::path& path);

// Byte-level tokenizer for small models we train: ids 0..255 = bytes, 256 = BOS, 257 = EOS.
std::unique_ptr<Tokenizer> make_byte_tokenizer();

// The same tokenizer as a Hugging Face tokenizer.json (byte-level BPE without merges, BOS added by
// the template), so trained byte-level models ship a tokenizer every HF tool reads. Identical ids
// for valid UTF-8 text; HF pipelines replace invalid UTF-8 by U+FFFD before encoding and read a
// literal "<s>" / "</s>" in the text as the special token.
nlohmann::json byte_tokenizer_json();

}  // namespace ss::text
