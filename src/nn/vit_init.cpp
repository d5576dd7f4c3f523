#include "nn/vit_init.h"

#include <ATen/CPUGeneratorImpl.h>

namespace ss::nn {

StateDict random_vit_weights(const VitConfig& c, uint64_t seed) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  auto normal = [&gen](std::vector<int64_t> shape) { return at::normal(0.0, 0.02, shape, gen); };
  auto ones = [](int64_t n) { return at::ones({n}); };
  auto zeros = [](int64_t n) { return at::zeros({n}); };
  const int64_t D = c.dim, H = c.mlp_hidden;
  StateDict w;
  w["patch_embed.weight"] = normal({D, c.in_chans, c.patch, c.patch});
  if (c.patch_bias) w["patch_embed.bias"] = zeros(D);
  w["cls_token"] = normal({D});
  if (c.dist_token) w["dist_token"] = normal({D});
  if (c.num_registers > 0) w["register_tokens"] = normal({c.num_registers, D});
  w["pos_embed"] = normal({c.pos_prefix + c.pos_grid * c.pos_grid, D});
  if (c.pre_norm) {
    w["ln_pre.weight"] = ones(D);
    w["ln_pre.bias"] = zeros(D);
  }
  w["norm.weight"] = ones(D);
  w["norm.bias"] = zeros(D);
  if (c.proj_dim > 0) w["head.proj"] = normal({c.proj_dim, D});
  const bool swiglu = c.ffn == FfnKind::SwiGlu;
  for (int64_t i = 0; i < c.depth; ++i) {
    const std::string p = "blocks." + std::to_string(i) + ".";
    const std::string fc1 = swiglu ? "mlp.w12" : "mlp.fc1", fc2 = swiglu ? "mlp.w3" : "mlp.fc2";
    w[p + "norm1.weight"] = ones(D);
    w[p + "norm1.bias"] = zeros(D);
    w[p + "attn.qkv.weight"] = normal({3 * D, D});
    if (c.qkv_bias) w[p + "attn.qkv.bias"] = zeros(3 * D);
    w[p + "attn.proj.weight"] = normal({D, D});
    w[p + "attn.proj.bias"] = zeros(D);
    w[p + "norm2.weight"] = ones(D);
    w[p + "norm2.bias"] = zeros(D);
    w[p + fc1 + ".weight"] = normal({swiglu ? 2 * H : H, D});
    w[p + fc1 + ".bias"] = zeros(swiglu ? 2 * H : H);
    w[p + fc2 + ".weight"] = normal({D, H});
    w[p + fc2 + ".bias"] = zeros(D);
    if (c.layerscale) {
      w[p + "ls1"] = ones(D);
      w[p + "ls2"] = ones(D);
    }
  }
  return w;
}

}  // namespace ss::nn
