#include "nn/vit_weights.h"

#include <regex>

#include "nn/key_rules.h"
#include "util/error.h"

namespace ss::nn {

const char* layout_name(VitLayout l) {
  switch (l) {
    case VitLayout::Dinov2Original: return "dinov2-original";
    case VitLayout::Dinov2Hf: return "dinov2-hf";
    case VitLayout::ClipHf: return "clip-hf";
    case VitLayout::OpenClip: return "openclip";
    case VitLayout::VitHf: return "vit-hf";
    case VitLayout::Sinkscope: return "sinkscope";
  }
  return "?";
}

namespace {

std::vector<RenameRule> rules_for(VitLayout layout) {
  // `{P}` in a pattern stands for the layout's optional wrapper prefix (e.g. `dinov2.`).
  std::string prefix = "^";
  auto R = [&prefix](std::string f, const char* t) {
    const auto at = f.find("{P}");
    if (at != std::string::npos) f.replace(at, 3, prefix);
    return RenameRule{std::regex(f), t};
  };
  switch (layout) {
    case VitLayout::Dinov2Original:
      return {
          R(R"(^patch_embed\.proj\.(weight|bias)$)", "patch_embed.$1"),
          R(R"(^(cls_token|register_tokens|pos_embed)$)", "$1"),
          R(R"(^blocks\.(\d+)\.(norm1|norm2|attn\.qkv|attn\.proj|mlp\.fc1|mlp\.fc2|mlp\.w12|mlp\.w3)\.(weight|bias)$)",
            "blocks.$1.$2.$3"),
          R(R"(^blocks\.(\d+)\.(ls1|ls2)\.gamma$)", "blocks.$1.$2"),
          R(R"(^norm\.(weight|bias)$)", "norm.$1"),
      };
    case VitLayout::Dinov2Hf:
      // Classification wrappers prefix the backbone with `dinov2.` / `dinov2_with_registers.`.
      prefix = R"(^(?:dinov2\.|dinov2_with_registers\.)?)";
      return {
          R(R"({P}embeddings\.patch_embeddings\.projection\.(weight|bias)$)",
            "patch_embed.$1"),
          R(R"({P}embeddings\.cls_token$)", "cls_token"),
          R(R"({P}embeddings\.register_tokens$)", "register_tokens"),
          R(R"({P}embeddings\.position_embeddings$)", "pos_embed"),
          R(R"({P}encoder\.layer\.(\d+)\.(norm1|norm2)\.(weight|bias)$)",
            "blocks.$1.$2.$3"),
          R(R"({P}encoder\.layer\.(\d+)\.attention\.attention\.(query|key|value)\.(weight|bias)$)",
            "blocks.$1.attn.$2.$3"),
          R(R"({P}encoder\.layer\.(\d+)\.attention\.output\.dense\.(weight|bias)$)",
            "blocks.$1.attn.proj.$2"),
          R(R"({P}encoder\.layer\.(\d+)\.layer_scale(1|2)\.lambda1$)",
            "blocks.$1.ls$2"),
          R(R"({P}encoder\.layer\.(\d+)\.mlp\.(fc1|fc2)\.(weight|bias)$)",
            "blocks.$1.mlp.$2.$3"),
          R(R"({P}encoder\.layer\.(\d+)\.mlp\.weights_in\.(weight|bias)$)",
            "blocks.$1.mlp.w12.$2"),
          R(R"({P}encoder\.layer\.(\d+)\.mlp\.weights_out\.(weight|bias)$)",
            "blocks.$1.mlp.w3.$2"),
          R(R"({P}layernorm\.(weight|bias)$)", "norm.$1"),
      };
    case VitLayout::ClipHf:
      return {
          R(R"(^vision_model\.embeddings\.patch_embedding\.(weight|bias)$)", "patch_embed.$1"),
          R(R"(^vision_model\.embeddings\.class_embedding$)", "cls_token"),
          R(R"(^vision_model\.embeddings\.position_embedding\.weight$)", "pos_embed"),
          R(R"(^vision_model\.pre_layrnorm\.(weight|bias)$)", "ln_pre.$1"),
          R(R"(^vision_model\.encoder\.layers\.(\d+)\.layer_norm(1|2)\.(weight|bias)$)", "blocks.$1.norm$2.$3"),
          R(R"(^vision_model\.encoder\.layers\.(\d+)\.self_attn\.(q|k|v)_proj\.(weight|bias)$)",
            "blocks.$1.attn.$2.$3"),
          R(R"(^vision_model\.encoder\.layers\.(\d+)\.self_attn\.out_proj\.(weight|bias)$)", "blocks.$1.attn.proj.$2"),
          R(R"(^vision_model\.encoder\.layers\.(\d+)\.mlp\.(fc1|fc2)\.(weight|bias)$)", "blocks.$1.mlp.$2.$3"),
          R(R"(^vision_model\.post_layernorm\.(weight|bias)$)", "norm.$1"),
          R(R"(^visual_projection\.weight$)", "head.proj"),
      };
    case VitLayout::OpenClip:
      // OpenAI CLIP / OpenCLIP `visual.*` (a bare vision tower may come without the prefix).
      prefix = R"(^(?:visual\.)?)";
      return {
          R(R"({P}conv1\.weight$)", "patch_embed.weight"),
          R(R"({P}class_embedding$)", "cls_token"),
          R(R"({P}positional_embedding$)", "pos_embed"),
          R(R"({P}ln_pre\.(weight|bias)$)", "ln_pre.$1"),
          R(R"({P}transformer\.resblocks\.(\d+)\.ln_(1|2)\.(weight|bias)$)", "blocks.$1.norm$2.$3"),
          R(R"({P}transformer\.resblocks\.(\d+)\.attn\.in_proj_(weight|bias)$)", "blocks.$1.attn.qkv.$2"),
          R(R"({P}transformer\.resblocks\.(\d+)\.attn\.out_proj\.(weight|bias)$)",
            "blocks.$1.attn.proj.$2"),
          R(R"({P}transformer\.resblocks\.(\d+)\.mlp\.c_fc\.(weight|bias)$)", "blocks.$1.mlp.fc1.$2"),
          R(R"({P}transformer\.resblocks\.(\d+)\.mlp\.c_proj\.(weight|bias)$)", "blocks.$1.mlp.fc2.$2"),
          R(R"({P}transformer\.resblocks\.(\d+)\.ls_(1|2)\.gamma$)", "blocks.$1.ls$2"),
          R(R"({P}ln_post\.(weight|bias)$)", "norm.$1"),
          R(R"({P}proj$)", "head.proj_t"),
      };
    case VitLayout::VitHf:
      // HF ViT and DeiT share the BERT-style encoder names.
      prefix = R"(^(?:vit\.|deit\.)?)";
      return {
          R(R"({P}embeddings\.patch_embeddings\.projection\.(weight|bias)$)", "patch_embed.$1"),
          R(R"({P}embeddings\.cls_token$)", "cls_token"),
          R(R"({P}embeddings\.distillation_token$)", "dist_token"),
          R(R"({P}embeddings\.position_embeddings$)", "pos_embed"),
          R(R"({P}encoder\.layer\.(\d+)\.layernorm_before\.(weight|bias)$)", "blocks.$1.norm1.$2"),
          R(R"({P}encoder\.layer\.(\d+)\.layernorm_after\.(weight|bias)$)", "blocks.$1.norm2.$2"),
          R(R"({P}encoder\.layer\.(\d+)\.attention\.attention\.(query|key|value)\.(weight|bias)$)",
            "blocks.$1.attn.$2.$3"),
          R(R"({P}encoder\.layer\.(\d+)\.attention\.output\.dense\.(weight|bias)$)",
            "blocks.$1.attn.proj.$2"),
          R(R"({P}encoder\.layer\.(\d+)\.intermediate\.dense\.(weight|bias)$)", "blocks.$1.mlp.fc1.$2"),
          R(R"({P}encoder\.layer\.(\d+)\.output\.dense\.(weight|bias)$)", "blocks.$1.mlp.fc2.$2"),
          R(R"({P}layernorm\.(weight|bias)$)", "norm.$1"),
      };
    case VitLayout::Sinkscope:
      return {R(R"(^(.*)$)", "$1")};
  }
  return {};
}

// HF layouts store q, k, v as separate projections; the engine uses one fused [3D, D] matrix in
// q, k, v row order (the order of DINOv2's `qkv` and CLIP's `in_proj_weight`).
void fuse_qkv(StateDict& out) {
  static const std::regex q_name(R"(^blocks\.(\d+)\.attn\.(q|query)\.(weight|bias)$)");
  std::vector<std::string> fused;
  for (const auto& kv : out) {
    std::smatch m;
    if (!std::regex_match(kv.first, m, q_name)) continue;
    const std::string base = "blocks." + m[1].str() + ".attn.";
    const bool hf_long = m[2].str() == "query";
    const std::string kind = m[3].str();
    const std::string qn = base + (hf_long ? "query." : "q.") + kind;
    const std::string kn = base + (hf_long ? "key." : "k.") + kind;
    const std::string vn = base + (hf_long ? "value." : "v.") + kind;
    for (const auto& n : {kn, vn})
      if (!out.count(n)) throw Error("tensor for " + n + " missing: q/k/v must come together");
    fused.push_back(base + "qkv." + kind);
    for (const auto& n : {qn, kn, vn}) fused.push_back(n);
  }
  for (size_t i = 0; i < fused.size(); i += 4) {
    out[fused[i]] = at::cat({out.at(fused[i + 1]), out.at(fused[i + 2]), out.at(fused[i + 3])}, 0);
    for (size_t j = 1; j < 4; ++j) out.erase(fused[i + j]);
  }
}

}  // namespace

StateDict canonicalize_vit_weights(VitLayout layout, const StateDict& sd, std::vector<std::string>* ignored) {
  StateDict out = rename_by_rules(sd, rules_for(layout), ignored);
  fuse_qkv(out);
  // Canonical shapes: prefix tokens as [D] / [R, D], position table as [P, D].
  for (const char* n : {"cls_token", "dist_token"})
    if (out.count(n)) out[n] = out[n].reshape({-1});
  if (out.count("register_tokens")) {
    auto& r = out["register_tokens"];
    r = r.reshape({-1, r.size(-1)});
  }
  if (out.count("pos_embed")) {
    auto& p = out["pos_embed"];
    p = p.reshape({-1, p.size(-1)});
  }
  // OpenAI/OpenCLIP apply `x @ proj` with proj [D, out]; store it as a Linear weight [out, D].
  if (out.count("head.proj_t")) {
    out["head.proj"] = out["head.proj_t"].t();
    out.erase("head.proj_t");
  }
  return out;
}

}  // namespace ss::nn
