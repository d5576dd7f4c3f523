#include "nn/vit_loader.h"

#include <cmath>
#include <fstream>
#include <regex>

#include <nlohmann/json.hpp>

#include "io/json_strict.h"
#include "util/error.h"

namespace ss::nn {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {


bool has_key(const StateDict& sd, const std::string& k) { return sd.count(k) > 0; }

// The layout from config.json's model_type, else from key names (original-layout files have no config).
VitLayout detect_layout(const json& config, const StateDict& sd, const fs::path& where) {
  if (!config.is_null()) {
    const std::string mt = config.value("model_type", "");
    if (mt == "dinov2" || mt == "dinov2_with_registers") return VitLayout::Dinov2Hf;
    if (mt == "clip_vision_model" || mt == "clip") return VitLayout::ClipHf;
    if (mt == "vit" || mt == "deit") return VitLayout::VitHf;
    throw Error(where.string() + ": config.json model_type '" + mt +
                "' is not a supported vision model (dinov2, dinov2_with_registers, clip, clip_vision_model, vit, deit)");
  }
  if (has_key(sd, "blocks.0.attn.qkv.weight") && has_key(sd, "patch_embed.proj.weight"))
    return VitLayout::Dinov2Original;
  if (has_key(sd, "visual.conv1.weight") || has_key(sd, "conv1.weight")) return VitLayout::OpenClip;
  for (const auto& kv : sd) {
    const auto& k = kv.first;
    if (k.find("encoder.layer.") != std::string::npos || k.find("vision_model.") != std::string::npos)
      throw Error(where.string() + ": Hugging Face tensor names but no config.json beside the weights");
  }
  throw Error(where.string() + ": no known ViT layout (expected DINOv2 `blocks.N.attn.qkv`, OpenCLIP "
              "`visual.conv1`, or a Hugging Face folder with config.json)");
}

const at::Tensor& need(const StateDict& w, const std::string& name, const fs::path& where) {
  auto it = w.find(name);
  if (it == w.end()) throw Error(where.string() + ": tensor " + name + " missing");
  return it->second;
}

// Hyperparameters that the shapes determine.
void infer_from_shapes(VitConfig& c, const StateDict& w, const fs::path& where) {
  const auto& pw = need(w, "patch_embed.weight", where);
  if (pw.dim() != 4 || pw.size(2) != pw.size(3))
    throw Error(where.string() + ": patch embedding must be [D, C, p, p], got " + c10::str(pw.sizes()));
  c.dim = pw.size(0);
  c.in_chans = pw.size(1);
  c.patch = pw.size(2);
  c.patch_bias = w.count("patch_embed.bias") > 0;
  c.depth = 0;
  while (w.count("blocks." + std::to_string(c.depth) + ".norm1.weight")) ++c.depth;
  if (c.depth == 0) throw Error(where.string() + ": no transformer blocks found");
  c.num_registers = w.count("register_tokens") ? w.at("register_tokens").size(0) : 0;
  c.dist_token = w.count("dist_token") > 0;
  c.pos_prefix = c.dist_token ? 2 : 1;
  const int64_t pos_rows = need(w, "pos_embed", where).size(0) - c.pos_prefix;
  c.pos_grid = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(std::max<int64_t>(pos_rows, 0)))));
  if (pos_rows <= 0 || c.pos_grid * c.pos_grid != pos_rows)
    throw Error(where.string() + ": position embedding has " + std::to_string(pos_rows) +
                " patch rows, not a square grid");
  c.layerscale = w.count("blocks.0.ls1") > 0;
  c.pre_norm = w.count("ln_pre.weight") > 0;
  c.qkv_bias = w.count("blocks.0.attn.qkv.bias") > 0;
  if (w.count("blocks.0.mlp.w12.weight")) {
    c.ffn = FfnKind::SwiGlu;
    c.mlp_hidden = w.at("blocks.0.mlp.w12.weight").size(0) / 2;
  } else {
    c.ffn = FfnKind::Mlp;
    c.mlp_hidden = need(w, "blocks.0.mlp.fc1.weight", where).size(0);
  }
  c.proj_dim = w.count("head.proj") ? w.at("head.proj").size(0) : 0;
}

void apply_hf_config(VitConfig& c, json cfg, VitLayout layout, const fs::path& file) {
  if (cfg.contains("vision_config")) cfg = cfg["vision_config"];  // a full CLIPModel config
  try {
    c.heads = cfg.at("num_attention_heads").get<int64_t>();
    if (cfg.contains("hidden_act")) c.act = activation_from_name(cfg["hidden_act"].get<std::string>());
    c.ln_eps = cfg.value("layer_norm_eps", c.ln_eps);
    const int64_t patch = cfg.value("patch_size", c.patch);
    const int64_t hidden = cfg.value("hidden_size", c.dim);
    if (patch != c.patch || hidden != c.dim)
      throw Error(file.string() + ": patch_size/hidden_size (" + std::to_string(patch) + "/" +
                  std::to_string(hidden) + ") disagree with the weights (" + std::to_string(c.patch) + "/" +
                  std::to_string(c.dim) + ")");
    if (layout == VitLayout::Dinov2Hf) {
      // transformers >= 4.48 interpolates DINOv2 positions by size; the original code (which
      // 4.39 still reproduced) uses the +0.1 scale factor. We follow the original code.
      c.interp = c.num_registers > 0 ? PosInterp::SizeAntialias : PosInterp::ScaleOffset;
      c.interp_offset = c.num_registers > 0 ? 0.0 : 0.1;
    }
  } catch (const json::exception& e) {
    throw Error(file.string() + ": " + e.what());
  }
}

void apply_preprocessor_config(VitConfig& c, const fs::path& file) {
  const json j = io::read_json_file(file.string());
  auto& p = c.preprocess;
  try {
    if (j.contains("image_mean")) p.mean = j["image_mean"].get<std::array<double, 3>>();
    if (j.contains("image_std")) p.std = j["image_std"].get<std::array<double, 3>>();
    if (j.contains("resample")) p.bicubic = j["resample"].get<int>() == 3;  // PIL.Image.BICUBIC
    if (j.contains("size")) {
      const json& s = j["size"];
      if (s.is_number()) {
        p.resize = s.get<int>();
        p.exact_resize = false;
      } else if (s.contains("shortest_edge")) {
        p.resize = s["shortest_edge"].get<int>();
        p.exact_resize = false;
      } else if (s.contains("height")) {
        p.resize = s["height"].get<int>();
        p.exact_resize = true;
      }
    }
    if (j.value("do_center_crop", p.crop > 0) && j.contains("crop_size")) {
      const json& s = j["crop_size"];
      p.crop = s.is_number() ? s.get<int>() : s.at("height").get<int>();
    } else if (!j.value("do_center_crop", true)) {
      p.crop = 0;
    }
  } catch (const json::exception& e) {
    throw Error(file.string() + ": " + e.what());
  }
}

// model_args.json / --model-args: keys as in the official constructors.
void apply_model_args(VitConfig& c, const fs::path& file, bool& act_given) {
  const json j = io::read_json_file(file.string());
  if (!j.is_object()) throw Error(file.string() + ": expected a JSON object");
  try {
    if (j.contains("num_heads")) c.heads = j["num_heads"].get<int64_t>();
    if (j.contains("heads")) c.heads = j["heads"].get<int64_t>();
    if (j.contains("num_register_tokens") && j["num_register_tokens"].get<int64_t>() != c.num_registers)
      throw Error(file.string() + ": num_register_tokens=" + std::to_string(j["num_register_tokens"].get<int64_t>()) +
                  " but the weights hold " + std::to_string(c.num_registers) + " register tokens");
    if (j.contains("interpolate_offset")) c.interp_offset = j["interpolate_offset"].get<double>();
    if (j.contains("interpolate_antialias") || j.contains("interpolate_offset")) {
      const bool aa = j.value("interpolate_antialias", false);
      c.interp = c.interp_offset != 0.0 ? PosInterp::ScaleOffset : aa ? PosInterp::SizeAntialias : PosInterp::Size;
    }
    if (j.contains("quick_gelu")) {
      c.act = j["quick_gelu"].get<bool>() ? Activation::QuickGelu : Activation::Gelu;
      act_given = true;
    }
    for (const char* k : {"act", "activation", "hidden_act"})
      if (j.contains(k) && j[k].is_string() && j[k].get<std::string>().rfind("nn.", 0) != 0) {
        c.act = activation_from_name(j[k].get<std::string>());
        act_given = true;
      }
    if (j.contains("layer_norm_eps")) c.ln_eps = j["layer_norm_eps"].get<double>();
  } catch (const json::exception& e) {
    throw Error(file.string() + ": " + e.what());
  }
}

}  // namespace

VitCheckpoint load_vit_checkpoint(const fs::path& path, const VitLoadOptions& opts) {
  if (!fs::exists(path)) throw Error(path.string() + ": no such file or directory");
  VitCheckpoint ck;
  const fs::path dir = fs::is_directory(path) ? path : path.parent_path();
  ck.weights_path = path;
  if (fs::exists(dir / "sinkscope.json")) {  // written by `sinkscope init`: the config is complete
    ck.config = vit_config_from_json(io::read_json_file((dir / "sinkscope.json").string()));
    ck.config.layout = layout_name(VitLayout::Sinkscope);
    ck.layout = VitLayout::Sinkscope;
    ck.weights = canonicalize_vit_weights(ck.layout, load_state_dict(path), &ck.ignored);
    ck.config_sources.push_back((dir / "sinkscope.json").string());
    return ck;
  }
  json hf_config;
  if (fs::exists(dir / "config.json")) {
    hf_config = io::read_json_file((dir / "config.json").string());
    ck.config_sources.push_back((dir / "config.json").string());
  }
  const StateDict raw = load_state_dict(path);
  ck.layout = detect_layout(hf_config, raw, path);
  ck.weights = canonicalize_vit_weights(ck.layout, raw, &ck.ignored);

  VitConfig& c = ck.config;
  switch (ck.layout) {
    case VitLayout::Dinov2Original:
    case VitLayout::Dinov2Hf: c.family = VitFamily::Dinov2; break;
    case VitLayout::ClipHf:
    case VitLayout::OpenClip: c.family = VitFamily::Clip; break;
    case VitLayout::VitHf: c.family = ck.weights.count("dist_token") ? VitFamily::Deit : VitFamily::Vit; break;
    case VitLayout::Sinkscope: break;  // handled above
  }
  // Start from the family's conventions, then let the shapes and files speak.
  c = vit_config_from_json({{"family", family_name(c.family)}, {"dim", 64}, {"depth", 1}});
  c.layout = layout_name(ck.layout);
  infer_from_shapes(c, ck.weights, path);
  c.heads = std::max<int64_t>(1, c.dim / 64);  // DINOv2 hub sizes and CLIP: head dim 64
  if (c.family == VitFamily::Dinov2 && c.num_registers > 0) {
    c.interp = PosInterp::SizeAntialias;
    c.interp_offset = 0.0;
  }
  ck.config_sources.push_back(std::string("conventions of ") + family_name(c.family));

  bool act_given = ck.layout != VitLayout::OpenClip;  // only OpenCLIP files leave it open
  if (!hf_config.is_null()) apply_hf_config(c, hf_config, ck.layout, dir / "config.json");
  if (fs::exists(dir / "preprocessor_config.json")) {
    apply_preprocessor_config(c, dir / "preprocessor_config.json");
    ck.config_sources.push_back((dir / "preprocessor_config.json").string());
  }
  fs::path args = opts.model_args;
  if (args.empty() && fs::exists(dir / "model_args.json")) args = dir / "model_args.json";
  if (!args.empty()) {
    apply_model_args(c, args, act_given);
    ck.config_sources.push_back(args.string());
  }
  if (opts.activation) {
    c.act = activation_from_name(*opts.activation);
    act_given = true;
  }
  if (!act_given)
    throw UsageError(path.string() + ": OpenCLIP/OpenAI files do not say their activation; pass --act quick_gelu "
                     "(OpenAI weights, *-quickgelu models) or --act gelu (LAION OpenCLIP), or set \"act\" in model_args.json");
  if (c.dim % c.heads != 0)
    throw Error(path.string() + ": " + std::to_string(c.heads) + " heads do not divide dim " + std::to_string(c.dim) +
                "; give num_heads in model_args.json or --model-args");
  validate(c);
  return ck;
}

}  // namespace ss::nn
