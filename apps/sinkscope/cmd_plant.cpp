// sinkscope plant CONFIG.json --out DIR: the planted test model (docs/planted-model.md) and images.
#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>
#include <memory>

#include "commands.h"
#include "io/json_strict.h"
#include "probe/planted_model.h"
#include "util/error.h"

namespace ss::cli {

namespace {

void add_plant_command(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("plant", "Write a small DINOv2-layout ViT with planted register neurons (a test model)");
  cmd->footer(
      "The model's chosen MLP neurons fire on flat image patches and write a large vector that later attention\n"
      "heads turn into a sink: a known artifact mechanism for testing inspect and test-time registers.\n"
      "CONFIG holds the `init` shape keys and a \"plant\" object (layer, neurons, sink_heads, seed, ...).\n"
      "Example:\n  sinkscope plant configs/planted-dinov2.json --out out/planted --images 12");
  auto config = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto images = std::make_shared<int>(8);
  cmd->add_option("CONFIG", *config, "JSON shape + plant description")->required();
  cmd->add_option("--out", *out, "output folder (model.safetensors, sinkscope.json, plant.json, images/)")->required();
  cmd->add_option("--images", *images, "test images with flat regions to write to DIR/images")->capture_default_str();
  cmd->callback([config, out, images] {
    if (*images < 0) throw UsageError("--images must be >= 0");
    const nlohmann::json j = io::read_json_file(*config);
    probe::PlantedModel m;
    try {
      m = probe::build_planted_model(j);
    } catch (const Error& e) {
      throw Error(*config + ": " + e.what());
    }
    const std::filesystem::path dir(*out);
    probe::write_planted_model(m, dir);
    std::vector<std::vector<int64_t>> flat;
    if (*images > 0) probe::write_planted_images(dir / "images", *images, m.spec.seed + 1, &flat);
    nlohmann::json cells = nlohmann::json::array();
    for (const auto& f : flat) cells.push_back(f);
    if (*images > 0) std::ofstream(dir / "images" / "flat_cells.json") << cells.dump() << "\n";
    std::cout << "wrote " << *out << ": planted neurons " << nlohmann::json(m.spec.neurons).dump() << " in block "
              << m.spec.layer << ", " << *images << " images in " << (dir / "images").string() << "\n";
  });
}

const CommandRegistrar kRegistrar(85, add_plant_command);

}  // namespace

}  // namespace ss::cli
