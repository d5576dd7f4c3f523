// config.json, model_args.json and neurons.json: the strict JSON reader every one of them goes
// through, then the torch-free config parsers on the document: a sinkscope ViT shape
// (nn::vit_config_from_json) and a Hugging Face decoder config.json (nn::decoder_config_from_hf,
// nn::validate). The HF ViT config.json / model_args.json mapping (nn/vit_loader.cpp) and the
// neurons.json schema (fix/register_neurons.cpp) live in torch translation units and are covered
// here only up to the JSON document they receive.
#include <nlohmann/json.hpp>

#include "fuzz_input.h"
#include "io/json_strict.h"
#include "nn/decoder_config.h"
#include "nn/vit_config.h"
#include "util/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nlohmann::json j;
  try {
    j = ss::io::parse_json_strict(reinterpret_cast<const char*>(data), size, "config.json",
                                  "config", 64);
  } catch (const ss::Error& e) {
    ss::fuzz::rejected(e);
    return 0;
  }
  try {
    ss::nn::to_json(ss::nn::vit_config_from_json(j));
  } catch (const ss::Error& e) {
    ss::fuzz::rejected(e);
  }
  try {
    const auto c = ss::nn::decoder_config_from_hf(j, "config.json");
    ss::nn::validate(c);
    ss::nn::to_json(c);
  } catch (const ss::Error& e) {
    ss::fuzz::rejected(e);
  }
  return 0;
}
