// One Vision Transformer forward pass for DINOv2 (+registers), CLIP/OpenCLIP, HF ViT and DeiT.
//
// Token order: [CLS, (DeiT dist), registers..., patches row-major]. Registers carry no position
// embedding (Darcet et al. 2024; DINOv2 `prepare_tokens_with_masks`). Named hook points, in order:
//   pixel_values [B,3,H,W]   pos_embed [1,P,D]   embeddings [B,prefix+N,D] (before registers/ln_pre)
//   tokens_in [B,T,D] (input of block 0; a hook may append tokens here)
//   blocks.{i}.attn.{q,k,v} [B,heads,T,d]   blocks.{i}.attn.probs [B,heads,T,T] (only when asked)
//   blocks.{i}.attn.out [B,T,D] (after the output projection, before LayerScale)
//   blocks.{i}.mlp.act [B,T,hidden] (after the nonlinearity; SwiGLU: silu(x1)*x2)
//   blocks.{i}.mlp.out [B,T,D]   blocks.{i}.out [B,T,D] (residual stream, before the final norm)
//   final_norm [B,T,D] (final LayerNorm on every token)   image_embeds [B,proj] (CLIP projection)
#pragma once

#include <ATen/ATen.h>

#include <vector>

#include "nn/hooks.h"
#include "nn/state_dict.h"
#include "nn/vit_config.h"

namespace ss::nn {

struct VitOutput {
  at::Tensor final_norm;    // [B, T, D]
  at::Tensor image_embeds;  // [B, proj_dim] or undefined
};

class VisionTransformer {
 public:
  // `weights` uses the canonical names of vit_weights.h; shapes are checked against `config`.
  VisionTransformer(VitConfig config, const StateDict& weights);

  const VitConfig& config() const { return cfg_; }
  // Matrix-product dtype: kFloat (exact) or kBFloat16 (oneDNN path); everything else stays float32.
  void set_dtype(at::ScalarType dtype);
  at::ScalarType dtype() const { return dtype_; }
  int64_t num_parameters() const;
  // The canonical weights (float32 or the compute dtype), e.g. to save a model.
  StateDict state_dict() const;

  // pixels: [B, C, H, W] float, H and W multiples of the patch size.
  VitOutput forward(const at::Tensor& pixels, const Hooks& hooks) const;

 private:
  struct Block {
    at::Tensor norm1_w, norm1_b, qkv_w, qkv_b, proj_w, proj_b, ls1;
    at::Tensor norm2_w, norm2_b, fc1_w, fc1_b, fc2_w, fc2_b, ls2;  // SwiGLU: fc1 = w12, fc2 = w3
  };
  at::Tensor embed(const at::Tensor& pixels, const Hooks& hooks) const;
  at::Tensor block_forward(int64_t i, const Block& b, at::Tensor x, const Hooks& hooks) const;
  at::Tensor mlp_hidden(const Block& b, const at::Tensor& h) const;

  VitConfig cfg_;
  at::ScalarType dtype_ = at::kFloat;
  at::Tensor patch_w_, patch_b_, cls_, dist_, registers_, pos_, ln_pre_w_, ln_pre_b_, norm_w_, norm_b_, head_proj_;
  std::vector<Block> blocks_;
};

}  // namespace ss::nn
