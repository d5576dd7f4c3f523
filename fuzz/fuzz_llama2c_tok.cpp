// llama2.c tok*.bin (max_token_length, then score, length, bytes per token), then run.c's
// encode/decode/safe_printf. Input: a length byte L, L bytes of text, then the file.
#include "fuzz_input.h"
#include "text/loaders.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return ss::fuzz::fuzz_tokenizer_file(data, size, "tok.bin", ss::text::load_llama2c);
}
