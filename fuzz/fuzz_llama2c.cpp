// llama2.c .bin checkpoints: the 7-int32 header, the shared/separate classifier sign and the
// per-layer split of the stacked float arrays.
#include "fuzz_input.h"
#include "io/llama2c.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = ss::fuzz::write_scratch(
      "model.bin", std::string_view(reinterpret_cast<const char*>(data), size));
  try {
    ss::io::looks_like_llama2c(path.string());  // the format sniffing, then the reader proper
    ss::io::Llama2cHeader header{};
    for (const auto& t : ss::io::read_llama2c(path.string(), &header))
      ss::fuzz::touch(t.data, t.nbytes);
  } catch (const ss::Error& e) {
    ss::fuzz::rejected(e);
  }
  return 0;
}
