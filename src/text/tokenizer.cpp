// load_tokenizer(): picks the loader by folder contents, file name and, failing those, content.
#include "text/tokenizer.h"

#include <fstream>

#include "text/loaders.h"
#include "util/error.h"

namespace ss::text {

namespace fs = std::filesystem;

namespace {

std::unique_ptr<Tokenizer> load_vocab_json(const fs::path& vocab) {
  fs::path merges = vocab.parent_path() / "merges.txt";
  if (!fs::exists(merges))
    throw Error(vocab.string() + ": a GPT-2 vocab.json needs merges.txt beside it (not found: " +
                merges.string() + ")");
  return load_gpt2_files(vocab, merges);
}

// A file whose name does not say what it is: JSON, else a llama2.c file (its layout is checked
// to the last byte), else a SentencePiece model.
std::unique_ptr<Tokenizer> load_by_content(const fs::path& path) {
  char first = 0;
  std::ifstream(path, std::ios::binary).read(&first, 1);
  if (first == '{') return load_hf_json(path);
  try {
    return load_llama2c(path);
  } catch (const Error& as_llama2c) {
    try {
      return load_sentencepiece(path);
    } catch (const Error& as_sentencepiece) {
      // Both messages start with "<path>: "; keep what follows.
      auto reason = [&](const Error& e) {
        std::string m = e.what(), prefix = path.string() + ": ";
        return m.compare(0, prefix.size(), prefix) == 0 ? m.substr(prefix.size()) : m;
      };
      throw Error(path.string() +
                  ": not a tokenizer (expected a llama2.c tok*.bin, a SentencePiece .model, a HF "
                  "tokenizer.json or a GPT-2 vocab.json; as a llama2.c file: " +
                  reason(as_llama2c) + "; as a SentencePiece model: " + reason(as_sentencepiece) +
                  ")");
    }
  }
}

}  // namespace

std::unique_ptr<Tokenizer> load_tokenizer(const fs::path& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    if (fs::exists(path / "tokenizer.json")) return load_hf_json(path / "tokenizer.json");
    if (fs::exists(path / "tokenizer.model")) return load_sentencepiece(path / "tokenizer.model");
    if (fs::exists(path / "vocab.json") && fs::exists(path / "merges.txt"))
      return load_gpt2_files(path / "vocab.json", path / "merges.txt");
    // A llama2.c tokenizer saved beside a trained model (sinkscope train copies tok*.bin there).
    if (fs::exists(path / "tokenizer.bin")) return load_llama2c(path / "tokenizer.bin");
    throw Error(path.string() +
                ": no tokenizer.json, tokenizer.model, vocab.json + merges.txt or tokenizer.bin in this folder");
  }
  if (!fs::exists(path, ec)) throw Error(path.string() + ": no such file or folder");
  const std::string name = path.filename().string();
  const std::string ext = path.extension().string();
  if (name == "vocab.json") return load_vocab_json(path);
  if (ext == ".json") return load_hf_json(path);
  if (ext == ".model") return load_sentencepiece(path);
  if (ext == ".bin") return load_llama2c(path);
  return load_by_content(path);
}

void check_token_id(const std::string& where, int32_t id, int32_t vocab) {
  if (id < 0 || id >= vocab)
    throw Error(where + ": token id " + std::to_string(id) + " is out of range (vocab size " + std::to_string(vocab) + ")");
}

}  // namespace ss::text
