// Test-time registers (Jiang et al. 2025, Algorithm 2; vit-artifacts.md §4.3): append R extra tokens
// after the patches at `tokens_in` (no position embedding) and, in every block with register
// neurons, move those neurons' activation into the registers:
//   paper mode:  for each neuron r: A[reg, r] <- max_t A[t, r] (over the tokens of the same image),
//                A[t, r] <- 0 for every other token, CLS included;
//   repo mode:   the official repo's hook (shared/hook_fn.py::activate_on_registers): one signed max
//                per layer (the larger-magnitude one of max and min over all tokens x listed neurons),
//                written to every listed neuron of the registers; tokens [1, T-R) zeroed, CLS left
//                untouched. Unlike the repo (batch element 0 only), every image of a batch is edited.
#pragma once

#include <ATen/ATen.h>

#include <string>

#include "fix/register_neurons.h"
#include "nn/hooks.h"
#include "nn/vit.h"

namespace ss::fix {

enum class TtMode { Paper, Repo };
TtMode tt_mode_from_name(const std::string& name);  // "paper" | "repo"; throws ss::UsageError

struct TtRegisterOptions {
  int64_t num_registers = 1;
  TtMode mode = TtMode::Paper;
};

// Adds the hooks to `hooks`. New tokens start as zeros; for models with a pre-norm on the embeddings
// (CLIP's ln_pre) they start as ln_pre(0) = ln_pre.bias, as the official CLIP fork appends its zeros
// before ln_pre. `model` must outlive the hooks.
void install_tt_registers(nn::Hooks& hooks, const nn::VisionTransformer& model, const NeuronMap& neurons,
                          const TtRegisterOptions& opts);

// Drops the R appended tokens from an intermediate named as in docs/tensors.md (token axes: dim 1 of
// [B,T,...] tensors, dims 2 and 3 of attention probabilities, dim 2 of q/k/v). Tensors without a
// token axis are returned unchanged.
at::Tensor strip_tt_registers(const std::string& name, const at::Tensor& t, int64_t num_registers);

}  // namespace ss::fix
