#include "commands.h"

#include "util/error.h"

namespace ss::cli {

LoadedLm load_lm(const std::string& path) {
  LoadedLm lm;
  lm.checkpoint = nn::load_decoder_checkpoint(path);
  try {
    lm.model = std::make_unique<nn::DecoderLM>(lm.checkpoint.config, lm.checkpoint.weights);
  } catch (const Error& e) {
    throw Error(path + ": " + e.what());
  }
  return lm;
}

std::unique_ptr<text::Tokenizer> load_lm_tokenizer(const nn::DecoderCheckpoint& ck, const std::string& flag) {
  if (!flag.empty()) return text::load_tokenizer(flag);
  if (ck.tokenizer.empty())
    throw UsageError("no tokenizer found beside the model; pass --tokenizer FILE (e.g. tok512.bin, tokenizer.json)");
  return text::load_tokenizer(ck.tokenizer);
}

}  // namespace ss::cli
