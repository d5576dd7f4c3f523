// GPT-2 vocab.json + merges.txt: both loaders and the byte-level BPE they build, then
// encode/decode. Input: vocab.json \0 merges.txt \0 text.
#include "fuzz_input.h"
#include "text/loaders.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto parts = ss::fuzz::split_nul(data, size, 3);
  const auto vocab = ss::fuzz::write_scratch("vocab.json", parts[0]);
  const auto merges = ss::fuzz::write_scratch("merges.txt", parts[1]);
  try {
    auto tok = ss::text::load_gpt2_files(vocab, merges);
    ss::fuzz::exercise_tokenizer(*tok, parts[2]);
  } catch (const ss::Error& e) {
    ss::fuzz::rejected(e);
  }
  return 0;
}
