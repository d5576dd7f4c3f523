// Renaming checkpoint tensors by regex rules: the shared core of every layout's key table.
#pragma once

#include <regex>
#include <string>
#include <vector>

#include "nn/state_dict.h"

namespace ss::nn {

struct RenameRule {
  std::regex from;
  std::string to;  // std::regex_replace format ($1, $2, ...)
};

// Each tensor takes the first rule that matches its whole name; tensors no rule matches are left
// out and listed in `ignored`. Two tensors mapping to one name is an error naming both.
StateDict rename_by_rules(const StateDict& sd, const std::vector<RenameRule>& rules,
                          std::vector<std::string>* ignored);

}  // namespace ss::nn
