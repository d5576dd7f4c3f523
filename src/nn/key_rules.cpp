#include "nn/key_rules.h"

#include "util/error.h"

namespace ss::nn {

StateDict rename_by_rules(const StateDict& sd, const std::vector<RenameRule>& rules,
                          std::vector<std::string>* ignored) {
  StateDict out;
  std::map<std::string, std::string> source;
  for (const auto& kv : sd) {
    bool matched = false;
    for (const auto& r : rules) {
      if (!std::regex_match(kv.first, r.from)) continue;
      const std::string name = std::regex_replace(kv.first, r.from, r.to);
      if (out.count(name))
        throw Error("tensors " + source[name] + " and " + kv.first + " both map to " + name);
      out.emplace(name, kv.second);
      source[name] = kv.first;
      matched = true;
      break;
    }
    if (!matched && ignored) ignored->push_back(kv.first);
  }
  return out;
}

}  // namespace ss::nn
