// Training sequences from plain-text files (issue #5: TinyStories, Gutenberg books).
//
// The files are tokenized once, without special tokens; the last `val_fraction` of each file's
// tokens is the validation split and the rest the training split, each concatenated over the files
// in order into one token stream. Sequence `index` of `length` tokens is then, by mode:
//   packed (bos: false, random_offset: false): chunk c of the stream, stream[c*length, (c+1)*length),
//       with index -> c through a permutation of the chunks chosen by (seed, epoch), epoch =
//       index / chunks: every chunk is seen exactly once per epoch, in a new order each epoch.
//   bos (bos: true, random_offset: false; the default): BOS, then chunk c of length-1 tokens, same
//       permutation (every sequence starts at the same kind of position, as StreamingLLM §3.3's
//       sink-token pre-training and Gu et al.'s BOS experiments need).
//   random_offset (random_offset: true): length tokens starting at an offset drawn uniformly from
//       the stream by (seed, index), without BOS (with `bos: true` as well: BOS + length-1 tokens).
//
// Config: {"kind": "text", "files": ["a.txt", ...], "tokenizer": "byte" | PATH, "bos": true,
//          "random_offset": false, "val_fraction": 0.05, "seed": 0}
// Paths are relative to the config file's folder unless absolute. `tokenizer` is anything
// text::load_tokenizer() reads (tokenizer.json, tok512.bin, a folder, ...) or "byte" (bytes + BOS).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "text/tokenizer.h"
#include "train/dataset.h"

namespace ss::train {

struct TextConfig {
  std::vector<std::filesystem::path> files;  // resolved
  std::string tokenizer = "byte";            // "byte" or a resolved path
  bool random_offset = false;
  bool bos = true;  // default: !random_offset
  double val_fraction = 0.05;
  uint64_t seed = 0;
  std::string where;  // the config file (or "data config"), for messages

  static TextConfig from_json(const nlohmann::json& j, const std::string& config_file);
};

class TextDataset : public TokenDataset {
 public:
  // Reads and tokenizes the files. Throws ss::Error naming the file or key when a file cannot be
  // read, the tokenizer cannot be loaded or has no BOS while `bos` is set, or the split is empty.
  TextDataset(const TextConfig& config, Split split);

  std::vector<int64_t> sequence(int64_t index, int64_t length) const override;
  int64_t vocab_size() const override { return tokenizer_->vocab_size(); }
  std::optional<int64_t> bos() const override;
  nlohmann::json describe() const override;

  const text::Tokenizer& tokenizer() const { return *tokenizer_; }
  // This split's token stream.
  const std::vector<int32_t>& tokens() const { return stream_; }

 private:
  TextConfig config_;
  Split split_;
  std::unique_ptr<text::Tokenizer> tokenizer_;
  std::vector<int32_t> stream_;
};

}  // namespace ss::train
