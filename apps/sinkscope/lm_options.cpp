#include "commands.h"

#include "util/error.h"

namespace ss::cli {

namespace {

bool is_vit_checkpoint(const std::string& path) {
  try {
    nn::load_vit_checkpoint(path);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

nn::DecoderCheckpoint load_lm_checkpoint(const std::string& path) {
  try {
    return nn::load_decoder_checkpoint(path);
  } catch (const Error&) {
    // The decoder loader can only say what it did not find ("vocab_size is missing", "no config.json");
    // a vision model given to an LM command is a usage mistake worth naming as such.
    if (is_vit_checkpoint(path))
      throw UsageError(path + " is a vision model; this command needs a language model (a Hugging Face folder of "
                              "llama, mistral, qwen2, qwen3, gpt2 or gpt_neox, or a llama2.c .bin)");
    throw;
  }
}

LoadedLm load_lm(const std::string& path) {
  LoadedLm lm;
  lm.checkpoint = load_lm_checkpoint(path);
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
