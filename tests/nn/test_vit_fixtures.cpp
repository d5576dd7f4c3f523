// Conformance: our ViT against golden outputs of the official DINOv2 code, OpenAI CLIP and HF
// transformers (../shared/fixtures/*/README.md). Every saved intermediate is compared.
#include <gtest/gtest.h>

#include <fstream>

#include "common/assets.h"
#include "fixture_compare.h"
#include "io/safetensors.h"
#include "nn/vit.h"
#include "nn/vit_inputs.h"
#include "nn/vit_loader.h"
#include "util/error.h"

namespace ss::test {
namespace {

constexpr double kActTol = 1e-4;   // activations, fp32 (issue #2 acceptance)
constexpr double kProbTol = 1e-5;  // attention probabilities

struct FixtureRun {
  nn::VitConfig config;
  std::map<std::string, at::Tensor> t;
};

FixtureRun run_fixture(const std::filesystem::path& model, const std::filesystem::path& inputs,
                at::ScalarType dtype = at::kFloat, const nn::VitLoadOptions& opts = {}) {
  auto ck = nn::load_vit_checkpoint(model, opts);
  nn::VisionTransformer vit(ck.config, ck.weights);
  vit.set_dtype(dtype);
  nn::Hooks hooks;
  nn::Capture cap(hooks, {"**"});
  vit.forward(nn::load_pixel_file(inputs.string()), hooks);
  FixtureRun r{ck.config, {}};
  for (const auto& kv : cap.tensors()) r.t[kv.first] = kv.second;
  return r;
}

void expect_matches_fixture(const FixtureRun& r, const std::string& expected_file, bool has_embeddings) {
  const int64_t depth = r.config.depth, prefix = r.config.prefix_tokens();
  auto exp = [&](const std::string& n) { return load_tensor(expected_file, n); };
  EXPECT_TRUE(close(r.t.at("tokens_in"), exp("tokens_in"), kActTol)) << "tokens_in";
  for (int64_t i = 0; i < depth; ++i) {
    const std::string b = "blocks." + std::to_string(i);
    EXPECT_TRUE(close(r.t.at(b + ".out"), exp("block_out." + std::to_string(i)), kActTol)) << b << ".out";
    EXPECT_TRUE(close(r.t.at(b + ".attn.probs"), exp("attn_probs." + std::to_string(i)), kProbTol))
        << b << ".attn.probs";
  }
  const at::Tensor last = r.t.at("blocks." + std::to_string(depth - 1) + ".out");
  EXPECT_TRUE(close(last.norm(2, -1), exp("last_block_token_l2norm"), kActTol)) << "token norms";
  const at::Tensor fn = r.t.at("final_norm");
  EXPECT_TRUE(close(fn.select(1, 0), exp("x_norm_clstoken"), kActTol)) << "x_norm_clstoken";
  EXPECT_TRUE(close(fn.slice(1, prefix), exp("x_norm_patchtokens"), kActTol)) << "x_norm_patchtokens";
  if (has_embeddings) EXPECT_TRUE(close(r.t.at("embeddings"), exp("embeddings"), kActTol)) << "embeddings";
}

const char* kDino = "fixtures/dinov2_vit_noreg_224";
const char* kClip = "fixtures/clip_vit_hf_224";

TEST(VitFixtures, Dinov2OriginalPth) {
  SS_REQUIRE_ASSET(kDino);
  const auto dir = asset(kDino);
  FixtureRun r = run_fixture(dir / "original" / "model.pth", dir / "inputs.safetensors");
  EXPECT_EQ(r.config.interp, nn::PosInterp::ScaleOffset);
  expect_matches_fixture(r, (dir / "expected.safetensors").string(), false);
  EXPECT_TRUE(close(r.t.at("pos_embed"), load_tensor((dir / "expected.safetensors").string(), "pos_embed_interp"),
                    kActTol));
}

TEST(VitFixtures, Dinov2OriginalSafetensors) {
  SS_REQUIRE_ASSET(kDino);
  const auto dir = asset(kDino);
  FixtureRun r = run_fixture(dir / "original" / "model.safetensors", dir / "inputs.safetensors");
  expect_matches_fixture(r, (dir / "expected.safetensors").string(), false);
}

TEST(VitFixtures, Dinov2HuggingFace) {
  SS_REQUIRE_ASSET(kDino);
  const auto dir = asset(kDino);
  FixtureRun r = run_fixture(dir / "hf", dir / "inputs.safetensors");
  EXPECT_EQ(r.config.heads, 2);
  expect_matches_fixture(r, (dir / "expected.safetensors").string(), false);
}

TEST(VitFixtures, ClipHuggingFace) {
  SS_REQUIRE_ASSET(kClip);
  const auto dir = asset(kClip);
  FixtureRun r = run_fixture(dir / "hf", dir / "inputs.safetensors");
  EXPECT_EQ(r.config.act, nn::Activation::QuickGelu);
  const std::string exp = (dir / "expected.safetensors").string();
  expect_matches_fixture(r, exp, true);
  EXPECT_TRUE(close(r.t.at("image_embeds"), load_tensor(exp, "image_embeds"), kActTol)) << "image_embeds";
}

// The OpenAI / OpenCLIP `visual.*` layout: the HF fixture converted back with the inverse of
// transformers' convert_clip_original_pytorch_to_hf.py (q/k/v -> in_proj, visual_projection -> proj^T).
TEST(VitFixtures, ClipOpenClipLayout) {
  SS_REQUIRE_ASSET(kClip);
  const auto dir = asset(kClip);
  const nn::StateDict hf = nn::load_state_dict(dir / "hf" / "model.safetensors");
  std::vector<io::RawTensor> out;
  auto put = [&](const std::string& n, const at::Tensor& t) { out.push_back(nn::to_raw(n, t)); };
  const std::string e = "vision_model.embeddings.", L = "vision_model.encoder.layers.";
  put("visual.conv1.weight", hf.at(e + "patch_embedding.weight"));
  put("visual.class_embedding", hf.at(e + "class_embedding"));
  put("visual.positional_embedding", hf.at(e + "position_embedding.weight"));
  for (const char* s : {"weight", "bias"}) {
    put(std::string("visual.ln_pre.") + s, hf.at(std::string("vision_model.pre_layrnorm.") + s));
    put(std::string("visual.ln_post.") + s, hf.at(std::string("vision_model.post_layernorm.") + s));
  }
  put("visual.proj", hf.at("visual_projection.weight").t());
  for (int i = 0; i < 2; ++i) {
    const std::string src = L + std::to_string(i) + ".", dst = "visual.transformer.resblocks." + std::to_string(i) + ".";
    for (const char* s : {"weight", "bias"}) {
      const std::string S = s;
      put(dst + "attn.in_proj_" + S, at::cat({hf.at(src + "self_attn.q_proj." + S), hf.at(src + "self_attn.k_proj." + S),
                                              hf.at(src + "self_attn.v_proj." + S)}));
      put(dst + "attn.out_proj." + S, hf.at(src + "self_attn.out_proj." + S));
      put(dst + "ln_1." + S, hf.at(src + "layer_norm1." + S));
      put(dst + "ln_2." + S, hf.at(src + "layer_norm2." + S));
      put(dst + "mlp.c_fc." + S, hf.at(src + "mlp.fc1." + S));
      put(dst + "mlp.c_proj." + S, hf.at(src + "mlp.fc2." + S));
    }
  }
  put("logit_scale", at::ones({}));  // a full CLIP file also holds text-tower tensors: ignored
  const auto scratch = scratch_dir();
  io::write_safetensors((scratch / "open_clip_model.safetensors").string(), out);

  // The file does not say its activation: loading must refuse rather than guess.
  EXPECT_THROW(nn::load_vit_checkpoint(scratch / "open_clip_model.safetensors"), ss::UsageError);

  nn::VitLoadOptions opts;
  opts.activation = "quick_gelu";
  FixtureRun r = run_fixture(scratch / "open_clip_model.safetensors", dir / "inputs.safetensors", at::kFloat, opts);
  EXPECT_EQ(r.config.heads, 1) << "OpenCLIP convention: heads = width / 64";
  // width 64 means 1 head by convention; the fixture has 2, as model_args.json would say.
  std::ofstream(scratch / "model_args.json") << R"({"heads": 2})";
  r = run_fixture(scratch / "open_clip_model.safetensors", dir / "inputs.safetensors", at::kFloat, opts);
  const std::string exp = (dir / "expected.safetensors").string();
  expect_matches_fixture(r, exp, true);
  EXPECT_TRUE(close(r.t.at("image_embeds"), load_tensor(exp, "image_embeds"), kActTol));
}

// bf16 runs the matrix products through oneDNN's bf16 kernels: features must stay aligned with fp32.
// Criterion: cosine >= 0.999 between each image's bf16 and fp32 features (all tokens flattened),
// and no single token below 0.995. These fixtures scale q/k up on purpose (peaked attention), the
// hardest case for bf16; measured here: per image >= 0.99994, worst token 0.99895.
TEST(VitFixtures, Bf16CloseToF32) {
  for (const char* fx : {kDino, kClip}) {
    SS_REQUIRE_ASSET(fx);
    const auto dir = asset(fx);
    const auto model = std::string(fx) == kDino ? dir / "original" / "model.safetensors" : dir / "hf";
    FixtureRun f32 = run_fixture(model, dir / "inputs.safetensors", at::kFloat);
    FixtureRun bf16 = run_fixture(model, dir / "inputs.safetensors", at::kBFloat16);
    for (const std::string name : {"blocks.1.out", "final_norm"}) {
      const at::Tensor a = f32.t.at(name), b = bf16.t.at(name);
      const double per_image = at::cosine_similarity(a.flatten(1), b.flatten(1), 1).min().item<double>();
      const double per_token = at::cosine_similarity(a.flatten(0, 1), b.flatten(0, 1), 1).min().item<double>();
      EXPECT_GE(per_image, 0.999) << fx << " " << name;
      EXPECT_GE(per_token, 0.995) << fx << " " << name;
    }
  }
}

}  // namespace
}  // namespace ss::test
