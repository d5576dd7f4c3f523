#include <algorithm>
#include <vector>

#include "commands.h"

namespace ss::cli {

namespace {
// Function-local so it exists before any registrar in another file runs.
std::vector<std::pair<int, CommandAdder>>& registry() {
  static std::vector<std::pair<int, CommandAdder>> r;
  return r;
}
}  // namespace

CommandRegistrar::CommandRegistrar(int order, CommandAdder add) { registry().emplace_back(order, add); }

void add_registered_commands(CLI::App& app) {
  auto r = registry();
  std::stable_sort(r.begin(), r.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& entry : r) entry.second(app);
}

}  // namespace ss::cli
