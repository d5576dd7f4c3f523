// PyTorch .pth / .pt / pytorch_model.bin: the zip container (libzip plus our entry checks), the
// restricted unpickler with torch's rebuild hooks, and the tensor views into the storages.
#include "fuzz_input.h"
#include "io/pth.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ss::io::is_torch_save(data, size);
  const auto path = ss::fuzz::write_scratch(
      "model.pth", std::string_view(reinterpret_cast<const char*>(data), size));
  try {
    for (const auto& t : ss::io::read_pth(path.string())) ss::fuzz::touch(t.data, t.nbytes);
  } catch (const ss::Error& e) {
    ss::fuzz::rejected(e);
  }
  return 0;
}
