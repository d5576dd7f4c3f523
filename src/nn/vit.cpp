#include "nn/vit.h"

#include "nn/attention.h"
#include "nn/layers.h"
#include "nn/pos_embed.h"
#include "util/error.h"

namespace ss::nn {


VisionTransformer::VisionTransformer(VitConfig config, const StateDict& w) : cfg_(std::move(config)) {
  validate(cfg_);
  const int64_t D = cfg_.dim, H = cfg_.mlp_hidden;
  patch_w_ = take_weight(w, "patch_embed.weight", {D, cfg_.in_chans, cfg_.patch, cfg_.patch});
  patch_b_ = take_weight(w, "patch_embed.bias", {D}, !cfg_.patch_bias);
  cls_ = take_weight(w, "cls_token", {D});
  if (cfg_.dist_token) dist_ = take_weight(w, "dist_token", {D});
  if (cfg_.num_registers > 0) registers_ = take_weight(w, "register_tokens", {cfg_.num_registers, D});
  pos_ = take_weight(w, "pos_embed", {cfg_.pos_prefix + cfg_.pos_grid * cfg_.pos_grid, D});
  if (cfg_.pre_norm) {
    ln_pre_w_ = take_weight(w, "ln_pre.weight", {D});
    ln_pre_b_ = take_weight(w, "ln_pre.bias", {D});
  }
  norm_w_ = take_weight(w, "norm.weight", {D});
  norm_b_ = take_weight(w, "norm.bias", {D});
  if (cfg_.proj_dim > 0) head_proj_ = take_weight(w, "head.proj", {cfg_.proj_dim, D});
  const bool swiglu = cfg_.ffn == FfnKind::SwiGlu;
  for (int64_t i = 0; i < cfg_.depth; ++i) {
    const std::string p = "blocks." + std::to_string(i) + ".";
    Block b;
    b.norm1_w = take_weight(w, p + "norm1.weight", {D});
    b.norm1_b = take_weight(w, p + "norm1.bias", {D});
    b.qkv_w = take_weight(w, p + "attn.qkv.weight", {3 * D, D});
    b.qkv_b = take_weight(w, p + "attn.qkv.bias", {3 * D}, !cfg_.qkv_bias);
    b.proj_w = take_weight(w, p + "attn.proj.weight", {D, D});
    b.proj_b = take_weight(w, p + "attn.proj.bias", {D}, true);
    b.norm2_w = take_weight(w, p + "norm2.weight", {D});
    b.norm2_b = take_weight(w, p + "norm2.bias", {D});
    const std::string fc1 = swiglu ? "mlp.w12" : "mlp.fc1", fc2 = swiglu ? "mlp.w3" : "mlp.fc2";
    b.fc1_w = take_weight(w, p + fc1 + ".weight", {swiglu ? 2 * H : H, D});
    b.fc1_b = take_weight(w, p + fc1 + ".bias", {swiglu ? 2 * H : H}, true);
    b.fc2_w = take_weight(w, p + fc2 + ".weight", {D, H});
    b.fc2_b = take_weight(w, p + fc2 + ".bias", {D}, true);
    if (cfg_.layerscale) {
      b.ls1 = take_weight(w, p + "ls1", {D});
      b.ls2 = take_weight(w, p + "ls2", {D});
    }
    blocks_.push_back(std::move(b));
  }
}

void VisionTransformer::set_dtype(at::ScalarType dtype) {
  if (dtype != at::kFloat && dtype != at::kBFloat16)
    throw UsageError(std::string("--dtype ") + c10::toString(dtype) + ": expected f32 or bf16");
  // Only the block matrices change dtype (see linear()); vectors and tokens stay float32, and so does
  // the patch embedding (1/12 of a layer's FLOPs): with bf16 pixels the fixtures' DINOv2 features
  // fall to cosine 0.998 against float32, without them they stay at 0.99995.
  auto cast = [dtype](at::Tensor& t) {
    if (t.defined()) t = t.to(dtype);
  };
  cast(head_proj_);
  for (auto& b : blocks_)
    for (at::Tensor* t : {&b.qkv_w, &b.proj_w, &b.fc1_w, &b.fc2_w}) cast(*t);
  dtype_ = dtype;
}

StateDict VisionTransformer::state_dict() const {
  StateDict sd;
  auto put = [&sd](const std::string& n, const at::Tensor& t) {
    if (t.defined()) sd[n] = t;
  };
  put("patch_embed.weight", patch_w_);
  put("patch_embed.bias", patch_b_);
  put("cls_token", cls_);
  put("dist_token", dist_);
  put("register_tokens", registers_);
  put("pos_embed", pos_);
  put("ln_pre.weight", ln_pre_w_);
  put("ln_pre.bias", ln_pre_b_);
  put("norm.weight", norm_w_);
  put("norm.bias", norm_b_);
  put("head.proj", head_proj_);
  const bool swiglu = cfg_.ffn == FfnKind::SwiGlu;
  for (size_t i = 0; i < blocks_.size(); ++i) {
    const auto& b = blocks_[i];
    const std::string p = "blocks." + std::to_string(i) + ".";
    const std::string fc1 = swiglu ? "mlp.w12" : "mlp.fc1", fc2 = swiglu ? "mlp.w3" : "mlp.fc2";
    put(p + "norm1.weight", b.norm1_w);
    put(p + "norm1.bias", b.norm1_b);
    put(p + "attn.qkv.weight", b.qkv_w);
    put(p + "attn.qkv.bias", b.qkv_b);
    put(p + "attn.proj.weight", b.proj_w);
    put(p + "attn.proj.bias", b.proj_b);
    put(p + "ls1", b.ls1);
    put(p + "norm2.weight", b.norm2_w);
    put(p + "norm2.bias", b.norm2_b);
    put(p + fc1 + ".weight", b.fc1_w);
    put(p + fc1 + ".bias", b.fc1_b);
    put(p + fc2 + ".weight", b.fc2_w);
    put(p + fc2 + ".bias", b.fc2_b);
    put(p + "ls2", b.ls2);
  }
  return sd;
}

int64_t VisionTransformer::num_parameters() const {
  int64_t n = 0;
  for (const auto& kv : state_dict()) n += kv.second.numel();
  return n;
}

at::Tensor VisionTransformer::embed(const at::Tensor& pixels_in, const Hooks& hooks) const {
  if (pixels_in.dim() != 4 || pixels_in.size(1) != cfg_.in_chans)
    throw Error("pixel_values: expected [B, " + std::to_string(cfg_.in_chans) + ", H, W], got " +
                c10::str(pixels_in.sizes()));
  const int64_t B = pixels_in.size(0), Hpx = pixels_in.size(2), Wpx = pixels_in.size(3);
  if (Hpx % cfg_.patch || Wpx % cfg_.patch || Hpx == 0 || Wpx == 0)
    throw Error("pixel_values: height and width (" + std::to_string(Hpx) + "x" + std::to_string(Wpx) +
                ") must be positive multiples of the patch size " + std::to_string(cfg_.patch));
  at::Tensor pixels = pixels_in.to(at::kFloat);
  hooks.visit("pixel_values", pixels);
  const int64_t h0 = Hpx / cfg_.patch, w0 = Wpx / cfg_.patch, D = cfg_.dim;

  at::Tensor pos = interpolate_pos_embed(pos_, cfg_.pos_prefix, h0, w0, cfg_.interp, cfg_.interp_offset)
                       .unsqueeze(0);
  hooks.visit("pos_embed", pos);

  at::Tensor x = at::conv2d(pixels.to(patch_w_.scalar_type()), patch_w_, c10::nullopt, cfg_.patch).to(at::kFloat);
  if (patch_b_.defined()) x = x + patch_b_.view({1, D, 1, 1});
  x = x.flatten(2).transpose(1, 2);
  std::vector<at::Tensor> parts{cls_.view({1, 1, D}).expand({B, 1, D})};
  if (cfg_.dist_token) parts.push_back(dist_.view({1, 1, D}).expand({B, 1, D}));
  parts.push_back(x);
  x = at::cat(parts, 1) + pos;
  hooks.visit("embeddings", x);
  if (cfg_.num_registers > 0) {
    const int64_t p = cfg_.pos_prefix;
    x = at::cat({x.slice(1, 0, p), registers_.unsqueeze(0).expand({B, cfg_.num_registers, D}), x.slice(1, p)}, 1);
  }
  if (cfg_.pre_norm) x = at::layer_norm(x, {D}, ln_pre_w_, ln_pre_b_, cfg_.ln_eps);
  return x;
}

at::Tensor VisionTransformer::mlp_hidden(const Block& b, const at::Tensor& h) const {
  at::Tensor a = linear(h, b.fc1_w, b.fc1_b);
  if (cfg_.ffn == FfnKind::SwiGlu) {
    auto halves = a.chunk(2, -1);  // DINOv2 SwiGLUFFN: w12 -> (x1, x2), silu(x1) * x2
    return at::silu(halves[0]) * halves[1];
  }
  return activate(a, cfg_.act);
}

at::Tensor VisionTransformer::block_forward(int64_t i, const Block& b, at::Tensor x, const Hooks& hooks) const {
  const std::string p = "blocks." + std::to_string(i);
  const int64_t B = x.size(0), T = x.size(1), D = cfg_.dim, nh = cfg_.heads, hd = cfg_.head_dim();

  at::Tensor h = at::layer_norm(x, {D}, b.norm1_w, b.norm1_b, cfg_.ln_eps);
  auto qkv = linear(h, b.qkv_w, b.qkv_b).view({B, T, 3, nh, hd}).permute({2, 0, 3, 1, 4}).unbind(0);
  at::Tensor q = qkv[0], k = qkv[1], v = qkv[2];
  hooks.visit(p + ".attn.q", q);
  hooks.visit(p + ".attn.k", k);
  hooks.visit(p + ".attn.v", v);
  at::Tensor a = attend(q, k, v, hooks, p + ".attn").transpose(1, 2).reshape({B, T, D});
  a = linear(a, b.proj_w, b.proj_b);
  hooks.visit(p + ".attn.out", a);
  x = x + (cfg_.layerscale ? a * b.ls1 : a);

  h = at::layer_norm(x, {D}, b.norm2_w, b.norm2_b, cfg_.ln_eps);
  at::Tensor act = mlp_hidden(b, h);
  hooks.visit(p + ".mlp.act", act);
  at::Tensor m = linear(act, b.fc2_w, b.fc2_b);
  hooks.visit(p + ".mlp.out", m);
  x = x + (cfg_.layerscale ? m * b.ls2 : m);
  hooks.visit(p + ".out", x);
  return x;
}

VitOutput VisionTransformer::forward(const at::Tensor& pixels, const Hooks& hooks) const {
  at::Tensor x = embed(pixels, hooks);
  hooks.visit("tokens_in", x);
  for (int64_t i = 0; i < cfg_.depth; ++i) x = block_forward(i, blocks_[i], x, hooks);
  VitOutput out;
  out.final_norm = at::layer_norm(x, {cfg_.dim}, norm_w_, norm_b_, cfg_.ln_eps);
  hooks.visit("final_norm", out.final_norm);
  if (head_proj_.defined()) {
    out.image_embeds = linear(out.final_norm.select(1, 0), head_proj_, at::Tensor());
    hooks.visit("image_embeds", out.image_embeds);
  }
  return out;
}

}  // namespace ss::nn
