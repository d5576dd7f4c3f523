// --check-finite: name the first intermediate that holds NaN or Inf, instead of a garbage result or a
// "training diverged" far downstream of the cause.
#pragma once

#include <string>
#include <vector>

#include "nn/hooks.h"

namespace ss::nn {

// The hook points the check reads: every named intermediate of the ViT and decoder engines except
// `blocks.*.attn.probs`. Engines materialise probs only when `Hooks::wants()` matches them (the
// slow, non-fused attention path), so a check over "**" would slow every checked run down; a NaN in
// probs shows up one step later in `blocks.*.attn.out` anyway.
const std::vector<std::string>& finite_check_patterns();

// Adds a read-only hook that throws ss::Error("non-finite values first appear in NAME (n NaN, m Inf
// of N values)") at the first visited tensor holding NaN/Inf. Cost: one isfinite().all() reduction
// per tensor; counting happens only on failure. Install it after hooks that edit tensors, so it
// checks what the forward pass continues with.
void install_finite_check(Hooks& hooks);

}  // namespace ss::nn
