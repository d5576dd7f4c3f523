// sinkscope init CONFIG.json --out DIR: a random-weight model of any supported shape.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "commands.h"
#include "io/json_strict.h"
#include "io/safetensors.h"
#include "nn/decoder_init.h"
#include "nn/vit_init.h"
#include "util/error.h"

namespace ss::cli {

namespace {
void add_init_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("init", "Write a random-weight ViT or LM of any supported shape (no download needed)");
  cmd->footer(
      "ViTs: CONFIG.json holds at least family (dinov2|clip|vit|deit), dim and depth; optional: heads,\n"
      "mlp_hidden, patch, pos_grid, num_registers, ffn (mlp|swiglu), activation, ln_eps, proj_dim, pos_interp.\n"
      "LMs: a Hugging Face config.json (model_type llama|mistral|qwen2|qwen3|gpt2); written in that layout.\n"
      "Example:\n  echo '{\"family\":\"dinov2\",\"dim\":384,\"depth\":12,\"heads\":6}' > s14.json\n"
      "  sinkscope init s14.json --out models/dinov2-s14-random --seed 0\n"
      "  sinkscope init configs/gpt2-124m.json --out models/gpt2-random");
  auto config = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto seed = std::make_shared<uint64_t>(0);
  cmd->add_option("CONFIG", *config, "JSON shape description")->required();
  cmd->add_option("--out", *out, "output folder (model.safetensors + sinkscope.json)")->required();
  cmd->add_option("--seed", *seed, "random seed")->check(at_least(0));
  cmd->callback([config, out, seed] {
    const nlohmann::json j = io::read_json_file(*config);
    if (j.is_object() && j.contains("model_type")) {  // a Hugging Face decoder config.json
      nn::decoder_config_from_hf(j, *config);  // checked first, so an error names CONFIG
      const int64_t params = nn::write_random_decoder(j, *out, *seed);
      std::cout << "wrote " << *out << " (" << j["model_type"].get<std::string>() << ", " << params
                << " parameters)\n";
      return;
    }
    nn::VitConfig c;
    try {
      c = nn::vit_config_from_json(j);
    } catch (const Error& e) {
      throw Error(*config + ": " + e.what());
    }
    const nn::StateDict w = nn::random_vit_weights(c, *seed);
    std::filesystem::create_directories(*out);
    std::vector<io::RawTensor> raws;
    for (const auto& kv : w) raws.push_back(nn::to_raw(kv.first, kv.second));
    io::write_safetensors((std::filesystem::path(*out) / "model.safetensors").string(), raws,
                          {{"format", "pt"}, {"producer", "sinkscope init"}});
    nlohmann::json cfg = nn::to_json(c);
    cfg["seed"] = *seed;
    std::ofstream(std::filesystem::path(*out) / "sinkscope.json") << cfg.dump(2) << "\n";
    int64_t params = 0;
    for (const auto& kv : w) params += kv.second.numel();
    std::cout << "wrote " << *out << " (" << nn::family_name(c.family) << ", " << params << " parameters)\n";
  });
}

const CommandRegistrar kRegistrar(80, add_init_command);
}  // namespace

}  // namespace ss::cli
