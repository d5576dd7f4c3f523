// The restricted pickle VM alone, in memory: inside a .pth the pickle sits in a zip entry whose
// CRC the mutator rarely keeps right, so the VM's opcodes get their own, faster harness. The hooks
// allow the torch.* names (what read_pth allows is a subset) and return plain markers, so every
// opcode path that builds, memoises, calls or persists values is reachable.
#include "fuzz_input.h"
#include "io/pickle.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ss::io::pickle::Hooks hooks;
  hooks.allows = [](const std::string& name) { return name.rfind("torch.", 0) == 0; };
  hooks.call = [](const std::string& name, const std::vector<const ss::io::pickle::Value*>& args) {
    if (name == "torch.refuse") throw ss::Error("refused");
    return std::any(args.size());
  };
  hooks.persistent_load = [](const ss::io::pickle::Value& pid) {
    return std::any(ss::io::pickle::kind_name(pid.kind));
  };
  try {
    ss::io::pickle::load_objects(data, size, "data.pkl", hooks);
  } catch (const ss::Error& e) {
    ss::fuzz::rejected(e);
  }
  return 0;
}
