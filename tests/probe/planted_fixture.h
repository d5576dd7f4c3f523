// The planted test model and its images, built once per test binary (deterministic).
#pragma once

#include <unistd.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <memory>

#include "common/assets.h"
#include "nn/vit.h"
#include "nn/vit_inputs.h"
#include "probe/planted_model.h"

namespace ss::test {

inline nlohmann::json planted_config() {
  std::ifstream in(std::string(SS_SOURCE_DIR) + "/configs/planted-dinov2.json");
  return nlohmann::json::parse(in);
}

struct PlantedSetup {
  probe::PlantedModel pm;
  std::unique_ptr<nn::VisionTransformer> model;
  std::vector<std::string> paths;
  std::vector<std::vector<int64_t>> flat;  // flat cells per image
  at::Tensor pixels;                       // [6, 3, 224, 224]
};

inline const PlantedSetup& planted() {
  static const PlantedSetup s = [] {
    PlantedSetup p;
    p.pm = probe::build_planted_model(planted_config());
    p.model = std::make_unique<nn::VisionTransformer>(p.pm.config, p.pm.weights);
    // One folder per process: ctest runs each test in its own process, several at once.
    const auto dir = std::filesystem::temp_directory_path() / "sinkscope-tests" /
                     ("planted-images-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    p.paths = probe::write_planted_images(dir, 6, 1, &p.flat);
    p.pixels = nn::load_images(p.paths, p.pm.config, {});
    return p;
  }();
  return s;
}

}  // namespace ss::test
