// YAML configuration files (training configs): yaml-cpp's parser under our conversion to JSON
// values (core-schema scalars, anchors and aliases, the nesting limit), in memory.
#include "fuzz_input.h"
#include "io/yaml.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    ss::io::parse_yaml(std::string(reinterpret_cast<const char*>(data), size), "config.yaml")
        .dump();
  } catch (const ss::Error& e) {
    ss::fuzz::rejected(e);
  }
  return 0;
}
