// HF tokenizer.json (+ tokenizer_config.json): the pipeline loader (model, added tokens,
// normalizers, PCRE2 pre-tokenizer regexes, post-processor, decoders) and then encode/decode.
// Input: tokenizer.json \0 tokenizer_config.json \0 text (no config file when that part is empty).
#include "fuzz_input.h"
#include "text/loaders.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto parts = ss::fuzz::split_nul(data, size, 3);
  const auto path = ss::fuzz::write_scratch("tokenizer.json", parts[0]);
  const auto config = ss::fuzz::scratch_dir() / "tokenizer_config.json";
  if (parts[1].empty())
    std::filesystem::remove(config);
  else
    ss::fuzz::write_scratch("tokenizer_config.json", parts[1]);
  try {
    auto tok = ss::text::load_hf_json(path);
    ss::fuzz::exercise_tokenizer(*tok, parts[2]);
  } catch (const ss::Error& e) {
    ss::fuzz::rejected(e);
  }
  return 0;
}
