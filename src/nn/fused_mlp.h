// The SwiGLU MLP of a training step, down(silu(x W_gate^T) * (x W_up^T)), as one differentiable
// op that walks the tokens in blocks of rows: each block's gate|up product, activation and down
// product happen while the block is in cache. Unfused, the [tokens, 2 ffn] activations and their
// gradients make several round trips through memory (written by one product, read by the
// activation, written again, packed again by the next product); at the bb-softmax shapes that
// traffic, not arithmetic, was most of the MLP's non-GEMM time. Same math; float32 on CPU
// (training path of nn::DecoderLM).
#pragma once

#include <ATen/ATen.h>

namespace ss::nn {

// x: [..., D]; w_gate, w_up: [F, D]; w_down: [D, F]; all float32. Returns [..., D].
// Differentiable in all four.
at::Tensor fused_swiglu_mlp(const at::Tensor& x, const at::Tensor& w_gate, const at::Tensor& w_up,
                            const at::Tensor& w_down);

}  // namespace ss::nn
