// Reading a training run's metrics.jsonl in tests (the trainer tests and the CLI tests).
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ss::test {

// The "loss" of every training row of DIR/metrics.jsonl, in order (evaluation rows skipped).
inline std::vector<double> logged_losses(const std::filesystem::path& dir) {
  std::ifstream in(dir / "metrics.jsonl");
  std::vector<double> out;
  std::string line;
  while (std::getline(in, line)) {
    const auto row = nlohmann::json::parse(line);
    if (row.contains("loss")) out.push_back(row["loss"].get<double>());
  }
  return out;
}

}  // namespace ss::test
