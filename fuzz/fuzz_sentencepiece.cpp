// SentencePiece .model: sinkscope's own protobuf wire reader, the model/normalizer/trainer specs
// and the BPE encoder with byte fallback, then encode/decode. Input: a length byte L, L bytes of
// text, then the file.
#include "fuzz_input.h"
#include "text/loaders.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return ss::fuzz::fuzz_tokenizer_file(data, size, "tokenizer.model", ss::text::load_sentencepiece);
}
