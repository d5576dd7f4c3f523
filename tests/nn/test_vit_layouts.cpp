// Layouts without an official fixture here (DINOv2 registers, SwiGLU, HF ViT/DeiT): a random model
// is written in each file layout with the key names of the reference tables (vit-artifacts.md
// §1.2-1.5) and must load to exactly the same function; token layout rules are checked directly.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "common/assets.h"
#include "io/safetensors.h"
#include "nn/vit.h"
#include "nn/vit_init.h"
#include "nn/vit_loader.h"
#include "util/error.h"

namespace ss::nn {
namespace {

VitConfig small_config(const std::string& family, int64_t registers, const std::string& ffn = "mlp") {
  return vit_config_from_json(
      {{"family", family}, {"dim", 32}, {"depth", 2}, {"heads", 2}, {"patch", 8}, {"pos_grid", 4},
       {"num_registers", registers}, {"ffn", ffn}, {"mlp_hidden", 48}});
}

// Non-trivial values everywhere (random init leaves norms at 1 and biases at 0).
StateDict perturbed_weights(const VitConfig& c, uint64_t seed) {
  StateDict w = random_vit_weights(c, seed);
  at::manual_seed(seed);
  for (auto& kv : w) kv.second = kv.second + 0.1 * at::randn(kv.second.sizes());
  return w;
}

at::Tensor features(const VitConfig& c, const StateDict& w, const at::Tensor& px) {
  VisionTransformer vit(c, w);
  Hooks hooks;
  return vit.forward(px, hooks).final_norm;
}

void save(const std::filesystem::path& file, const StateDict& sd) {
  std::vector<io::RawTensor> raws;
  for (const auto& kv : sd) raws.push_back(to_raw(kv.first, kv.second));
  io::write_safetensors(file.string(), raws);
}

// HF stores q, k, v as three projections: rows [0:D], [D:2D], [2D:3D] of the fused matrix.
void put_split_qkv(StateDict& o, const StateDict& w, const std::string& src, const std::string& dst,
                   const std::string& P) {
  auto qkv = w.at(src + "attn.qkv." + P).chunk(3, 0);
  o[dst + "attention.attention.query." + P] = qkv[0];
  o[dst + "attention.attention.key." + P] = qkv[1];
  o[dst + "attention.attention.value." + P] = qkv[2];
  o[dst + "attention.output.dense." + P] = w.at(src + "attn.proj." + P);
}

// Canonical -> HF DINOv2 names (transformers convert_dinov2_to_hf.py, in reverse).
StateDict to_dinov2_hf(const StateDict& w, int64_t depth, int64_t D) {
  StateDict o;
  o["embeddings.patch_embeddings.projection.weight"] = w.at("patch_embed.weight");
  o["embeddings.patch_embeddings.projection.bias"] = w.at("patch_embed.bias");
  o["embeddings.cls_token"] = w.at("cls_token").view({1, 1, D});
  o["embeddings.mask_token"] = at::zeros({1, D});
  if (w.count("register_tokens")) o["embeddings.register_tokens"] = w.at("register_tokens").unsqueeze(0);
  o["embeddings.position_embeddings"] = w.at("pos_embed").unsqueeze(0);
  for (int64_t i = 0; i < depth; ++i) {
    const std::string s = "blocks." + std::to_string(i) + ".", d = "encoder.layer." + std::to_string(i) + ".";
    for (const char* p : {"weight", "bias"}) {
      const std::string P = p;
      o[d + "norm1." + P] = w.at(s + "norm1." + P);
      o[d + "norm2." + P] = w.at(s + "norm2." + P);
      put_split_qkv(o, w, s, d, P);
      if (w.count(s + "mlp.w12.weight")) {
        o[d + "mlp.weights_in." + P] = w.at(s + "mlp.w12." + P);
        o[d + "mlp.weights_out." + P] = w.at(s + "mlp.w3." + P);
      } else {
        o[d + "mlp.fc1." + P] = w.at(s + "mlp.fc1." + P);
        o[d + "mlp.fc2." + P] = w.at(s + "mlp.fc2." + P);
      }
    }
    o[d + "layer_scale1.lambda1"] = w.at(s + "ls1");
    o[d + "layer_scale2.lambda1"] = w.at(s + "ls2");
  }
  o["layernorm.weight"] = w.at("norm.weight");
  o["layernorm.bias"] = w.at("norm.bias");
  return o;
}

// Canonical -> HF ViT / DeiT names (BERT-style encoder), with the `vit.` / `deit.` wrapper prefix.
StateDict to_vit_hf(const StateDict& w, int64_t depth, int64_t D, const std::string& pre) {
  StateDict o;
  o[pre + "embeddings.patch_embeddings.projection.weight"] = w.at("patch_embed.weight");
  o[pre + "embeddings.patch_embeddings.projection.bias"] = w.at("patch_embed.bias");
  o[pre + "embeddings.cls_token"] = w.at("cls_token").view({1, 1, D});
  if (w.count("dist_token")) o[pre + "embeddings.distillation_token"] = w.at("dist_token").view({1, 1, D});
  o[pre + "embeddings.position_embeddings"] = w.at("pos_embed").unsqueeze(0);
  for (int64_t i = 0; i < depth; ++i) {
    const std::string s = "blocks." + std::to_string(i) + ".", d = pre + "encoder.layer." + std::to_string(i) + ".";
    for (const char* p : {"weight", "bias"}) {
      const std::string P = p;
      o[d + "layernorm_before." + P] = w.at(s + "norm1." + P);
      o[d + "layernorm_after." + P] = w.at(s + "norm2." + P);
      put_split_qkv(o, w, s, d, P);
      o[d + "intermediate.dense." + P] = w.at(s + "mlp.fc1." + P);
      o[d + "output.dense." + P] = w.at(s + "mlp.fc2." + P);
    }
  }
  o[pre + "layernorm.weight"] = w.at("norm.weight");
  o[pre + "layernorm.bias"] = w.at("norm.bias");
  o["classifier.weight"] = at::zeros({10, D});
  return o;
}

TEST(VitLayouts, RegistersCarryNoPositionEmbedding) {
  const VitConfig c = small_config("dinov2", 4);
  const StateDict w = perturbed_weights(c, 1);
  VisionTransformer vit(c, w);
  Hooks hooks;
  at::Tensor tokens;
  hooks.add("tokens_in", [&](const std::string&, at::Tensor& t) { tokens = t.clone(); });
  at::manual_seed(2);
  vit.forward(at::randn({2, 3, 32, 32}), hooks);
  ASSERT_EQ(tokens.sizes(), (std::vector<int64_t>{2, 1 + 4 + 16, 32}));
  // [CLS + pos[0], registers as stored, patches + pos[1:]]
  EXPECT_TRUE(at::allclose(tokens.select(0, 1).select(0, 0), w.at("cls_token") + w.at("pos_embed")[0]));
  EXPECT_TRUE(at::equal(tokens.select(0, 1).slice(0, 1, 5), w.at("register_tokens").to(at::kFloat)));
  EXPECT_EQ(c.interp, PosInterp::SizeAntialias) << "register models use the antialiased size-based resize";
}

TEST(VitLayouts, Dinov2WithRegistersHfAndOriginalAgree) {
  const VitConfig c = small_config("dinov2", 4);
  const StateDict w = perturbed_weights(c, 3);
  at::manual_seed(4);
  const at::Tensor px = at::randn({2, 3, 24, 40});  // off the native grid: interpolation runs
  const at::Tensor expected = features(c, w, px);

  const auto dir = ss::test::scratch_dir();
  std::filesystem::create_directories(dir / "hf");
  save(dir / "hf" / "model.safetensors", to_dinov2_hf(w, c.depth, c.dim));
  std::ofstream(dir / "hf" / "config.json") << nlohmann::json{
      {"model_type", "dinov2_with_registers"}, {"hidden_size", 32}, {"num_attention_heads", 2},
      {"patch_size", 8}, {"hidden_act", "gelu"}, {"layer_norm_eps", 1e-6}, {"num_register_tokens", 4}};
  const VitCheckpoint hf = load_vit_checkpoint(dir / "hf");
  EXPECT_EQ(hf.config.num_registers, 4);
  EXPECT_EQ(hf.config.interp, PosInterp::SizeAntialias);
  EXPECT_TRUE(at::equal(features(hf.config, hf.weights, px), expected));

  // Original naming (as in dinov2_vits14_reg4_pretrain.pth): no config at all, heads from model_args.
  StateDict orig;
  for (const auto& kv : w) {
    std::string n = kv.first;
    if (n == "patch_embed.weight" || n == "patch_embed.bias") n.insert(12, "proj.");
    if (n.size() > 4 && (n.compare(n.size() - 4, 4, ".ls1") == 0 || n.compare(n.size() - 4, 4, ".ls2") == 0))
      n += ".gamma";
    orig[n] = kv.second;
  }
  orig["cls_token"] = w.at("cls_token").view({1, 1, 32});
  orig["register_tokens"] = w.at("register_tokens").unsqueeze(0);
  orig["pos_embed"] = w.at("pos_embed").unsqueeze(0);
  save(dir / "model.safetensors", orig);
  EXPECT_EQ(load_vit_checkpoint(dir / "model.safetensors").config.heads, 1) << "hub convention: head dim 64";
  std::ofstream(dir / "model_args.json") << R"({"num_heads": 2, "num_register_tokens": 4})";
  const VitCheckpoint og = load_vit_checkpoint(dir / "model.safetensors");
  EXPECT_EQ(og.config.layout, "dinov2-original");
  EXPECT_TRUE(at::equal(features(og.config, og.weights, px), expected));

  std::ofstream(dir / "model_args.json") << R"({"num_heads": 2, "num_register_tokens": 2})";
  EXPECT_THROW(load_vit_checkpoint(dir / "model.safetensors"), ss::Error) << "a contradiction is refused";
}

TEST(VitLayouts, SwiGluMlpActIsTheGatedProduct) {
  const VitConfig c = small_config("dinov2", 0, "swiglu");
  const StateDict w = perturbed_weights(c, 5);
  VisionTransformer vit(c, w);
  Hooks hooks;
  at::Tensor act, h2;
  hooks.add("blocks.0.mlp.act", [&](const std::string&, at::Tensor& t) { act = t.clone(); });
  hooks.add("blocks.0.attn.out", [&](const std::string&, at::Tensor& t) { h2 = t.clone(); });
  at::Tensor tokens;
  hooks.add("tokens_in", [&](const std::string&, at::Tensor& t) { tokens = t.clone(); });
  at::manual_seed(6);
  vit.forward(at::randn({1, 3, 32, 32}), hooks);
  const at::Tensor x = tokens + h2 * w.at("blocks.0.ls1");
  const at::Tensor h = at::layer_norm(x, {32}, w.at("blocks.0.norm2.weight"), w.at("blocks.0.norm2.bias"), 1e-6);
  const auto x12 = at::linear(h, w.at("blocks.0.mlp.w12.weight"), w.at("blocks.0.mlp.w12.bias")).chunk(2, -1);
  EXPECT_EQ(act.size(-1), 48);
  EXPECT_TRUE(at::allclose(act, at::silu(x12[0]) * x12[1], 1e-5, 1e-6));
}

TEST(VitLayouts, HfVitAndDeitLoadToTheSameFunction) {
  for (const std::string family : {"vit", "deit"}) {
    VitConfig c = small_config(family, 0);
    const StateDict w = perturbed_weights(c, 7);
    at::manual_seed(8);
    const at::Tensor px = at::randn({1, 3, 32, 32});
    const at::Tensor expected = features(c, w, px);
    const auto dir = ss::test::scratch_dir() / family;
    std::filesystem::create_directories(dir);
    save(dir / "model.safetensors", to_vit_hf(w, c.depth, c.dim, family + "."));
    std::ofstream(dir / "config.json") << nlohmann::json{{"model_type", family}, {"hidden_size", 32},
                                                         {"num_attention_heads", 2}, {"patch_size", 8},
                                                         {"hidden_act", "gelu"}, {"layer_norm_eps", 1e-12}};
    const VitCheckpoint ck = load_vit_checkpoint(dir);
    EXPECT_EQ(ck.config.family, family_from_name(family));
    EXPECT_EQ(ck.config.dist_token, family == "deit");
    EXPECT_EQ(ck.config.prefix_tokens(), family == "deit" ? 2 : 1);
    EXPECT_EQ(std::count(ck.ignored.begin(), ck.ignored.end(), "classifier.weight"), 1);
    EXPECT_TRUE(at::equal(features(ck.config, ck.weights, px), expected)) << family;
  }
}

TEST(VitLayouts, MissingOrMisshapenTensorsAreNamed) {
  const VitConfig c = small_config("dinov2", 0);
  StateDict w = perturbed_weights(c, 9);
  w.erase("blocks.1.norm2.bias");
  try {
    VisionTransformer vit(c, w);
    FAIL() << "missing tensor accepted";
  } catch (const ss::Error& e) {
    EXPECT_NE(std::string(e.what()).find("blocks.1.norm2.bias"), std::string::npos) << e.what();
  }
  w = perturbed_weights(c, 9);
  w["blocks.0.attn.qkv.weight"] = at::zeros({95, 32});
  try {
    VisionTransformer vit(c, w);
    FAIL() << "misshapen tensor accepted";
  } catch (const ss::Error& e) {
    EXPECT_NE(std::string(e.what()).find("[96, 32]"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ss::nn
