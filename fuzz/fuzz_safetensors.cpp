// safetensors: the 8-byte length, the JSON header (strict parser, dtype/shape/offset checks) and
// the data views handed out into the mapping.
#include "fuzz_input.h"
#include "io/safetensors.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = ss::fuzz::write_scratch(
      "model.safetensors", std::string_view(reinterpret_cast<const char*>(data), size));
  try {
    auto file = ss::io::SafetensorsFile::open(path.string());
    for (const auto& t : file.tensors()) {
      ss::fuzz::touch(t.data, t.nbytes);
      file.find(t.name);
    }
    file.metadata();
  } catch (const ss::Error& e) {
    ss::fuzz::rejected(e);
  }
  return 0;
}
