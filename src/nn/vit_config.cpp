#include "nn/vit_config.h"

#include <nlohmann/json.hpp>

#include "io/json_strict.h"
#include "util/error.h"

namespace ss::nn {

const char* family_name(VitFamily f) {
  switch (f) {
    case VitFamily::Dinov2: return "dinov2";
    case VitFamily::Clip: return "clip";
    case VitFamily::Vit: return "vit";
    case VitFamily::Deit: return "deit";
  }
  return "?";
}

const char* activation_name(Activation a) {
  switch (a) {
    case Activation::Gelu: return "gelu";
    case Activation::QuickGelu: return "quick_gelu";
    case Activation::GeluTanh: return "gelu_tanh";
  }
  return "?";
}

const char* interp_name(PosInterp p) {
  switch (p) {
    case PosInterp::ScaleOffset: return "scale_offset";
    case PosInterp::SizeAntialias: return "size_antialias";
    case PosInterp::Size: return "size";
  }
  return "?";
}

Activation activation_from_name(const std::string& name) {
  if (name == "gelu" || name == "gelu_erf") return Activation::Gelu;
  if (name == "quick_gelu") return Activation::QuickGelu;
  if (name == "gelu_new" || name == "gelu_tanh" || name == "gelu_pytorch_tanh") return Activation::GeluTanh;
  throw UsageError("activation '" + name + "': expected gelu, quick_gelu or gelu_tanh");
}

VitFamily family_from_name(const std::string& name) {
  for (VitFamily f : {VitFamily::Dinov2, VitFamily::Clip, VitFamily::Vit, VitFamily::Deit})
    if (name == family_name(f)) return f;
  throw UsageError("family '" + name + "': expected dinov2, clip, vit or deit");
}

static PosInterp interp_from_name(const std::string& name) {
  for (PosInterp p : {PosInterp::ScaleOffset, PosInterp::SizeAntialias, PosInterp::Size})
    if (name == interp_name(p)) return p;
  throw Error("pos_interp '" + name + "': expected scale_offset, size_antialias or size");
}

nlohmann::json to_json(const VitConfig& c) {
  const auto& p = c.preprocess;
  return {
      {"family", family_name(c.family)},
      {"layout", c.layout},
      {"dim", c.dim},
      {"depth", c.depth},
      {"heads", c.heads},
      {"head_dim", c.head_dim()},
      {"mlp_hidden", c.mlp_hidden},
      {"ffn", c.ffn == FfnKind::SwiGlu ? "swiglu" : "mlp"},
      {"activation", activation_name(c.act)},
      {"patch", c.patch},
      {"pos_grid", c.pos_grid},
      {"native_resolution", c.native_resolution()},
      {"num_registers", c.num_registers},
      {"dist_token", c.dist_token},
      {"layerscale", c.layerscale},
      {"pre_norm", c.pre_norm},
      {"patch_bias", c.patch_bias},
      {"qkv_bias", c.qkv_bias},
      {"ln_eps", c.ln_eps},
      {"pos_interp", interp_name(c.interp)},
      {"interp_offset", c.interp_offset},
      {"proj_dim", c.proj_dim},
      {"preprocess",
       {{"resize", p.resize},
        {"exact_resize", p.exact_resize},
        {"filter", p.bicubic ? "bicubic" : "bilinear"},
        {"crop", p.crop},
        {"mean", p.mean},
        {"std", p.std}}},
  };
}

// Family conventions for everything a shape config does not say.
static VitConfig family_defaults(VitFamily f) {
  VitConfig c;
  c.family = f;
  switch (f) {
    case VitFamily::Dinov2:
      c.layerscale = true;
      c.patch = 14;
      c.pos_grid = 37;
      break;
    case VitFamily::Clip:
      c.pre_norm = true;
      c.patch_bias = false;
      c.act = Activation::QuickGelu;
      c.ln_eps = 1e-5;
      c.interp = PosInterp::Size;
      c.interp_offset = 0.0;
      c.patch = 16;
      c.pos_grid = 14;
      c.preprocess = {224, false, true, 224, {0.48145466, 0.4578275, 0.40821073},
                      {0.26862954, 0.26130258, 0.27577711}};
      break;
    case VitFamily::Vit:
    case VitFamily::Deit:
      c.ln_eps = 1e-12;
      c.interp = PosInterp::Size;
      c.interp_offset = 0.0;
      c.patch = 16;
      c.pos_grid = 14;
      if (f == VitFamily::Vit) {
        c.preprocess = {224, true, false, 0, {0.5, 0.5, 0.5}, {0.5, 0.5, 0.5}};
      } else {
        c.dist_token = true;
        c.pos_prefix = 2;
        c.preprocess = {256, true, true, 224, {0.485, 0.456, 0.406}, {0.229, 0.224, 0.225}};
      }
      break;
  }
  return c;
}

VitConfig vit_config_from_json(const nlohmann::json& j) {
  static const std::string kWhere = "model config";
  if (!j.is_object()) throw Error("model config: expected a JSON object");
  try {
    VitConfig c = family_defaults(family_from_name(j.at("family").get<std::string>()));
    c.layout = "init";
    c.dim = io::json_int(j, "dim", kWhere);
    c.depth = io::json_int(j, "depth", kWhere);
    c.heads = io::json_int(j, "heads", c.dim / 64, kWhere);
    c.mlp_hidden = io::json_int(j, "mlp_hidden", 4 * c.dim, kWhere);
    c.patch = io::json_int(j, "patch", c.patch, kWhere);
    c.pos_grid = io::json_int(j, "pos_grid", c.pos_grid, kWhere);
    c.num_registers = io::json_int(j, "num_registers", c.num_registers, kWhere);
    c.dist_token = j.value("dist_token", c.dist_token);
    c.pos_prefix = c.dist_token ? 2 : 1;
    c.layerscale = j.value("layerscale", c.layerscale);
    c.ffn = j.value("ffn", std::string("mlp")) == "swiglu" ? FfnKind::SwiGlu : FfnKind::Mlp;
    if (j.contains("activation")) c.act = activation_from_name(j["activation"].get<std::string>());
    c.ln_eps = j.value("ln_eps", c.ln_eps);
    c.proj_dim = io::json_int(j, "proj_dim", c.proj_dim, kWhere);
    if (c.family == VitFamily::Dinov2 && c.num_registers > 0) {
      c.interp = PosInterp::SizeAntialias;
      c.interp_offset = 0.0;
    }
    if (j.contains("pos_interp")) c.interp = interp_from_name(j["pos_interp"].get<std::string>());
    c.interp_offset = j.value("interp_offset", c.interp_offset);
    validate(c);
    return c;
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("model config: ") + e.what());
  }
}

void validate(const VitConfig& c) {
  auto need = [](bool ok, const std::string& what) {
    if (!ok) throw Error("model config: " + what);
  };
  need(c.dim > 0 && c.dim <= 65536, "dim must be in 1..65536, got " + std::to_string(c.dim));
  need(c.depth > 0 && c.depth <= 1024, "depth must be in 1..1024, got " + std::to_string(c.depth));
  need(c.heads > 0 && c.dim % c.heads == 0,
       "heads (" + std::to_string(c.heads) + ") must divide dim (" + std::to_string(c.dim) + ")");
  need(c.mlp_hidden > 0 && c.mlp_hidden <= 1 << 20, "mlp_hidden must be in 1..2^20");
  need(c.patch > 0 && c.patch <= 1024, "patch must be in 1..1024");
  need(c.pos_grid > 0 && c.pos_grid <= 1024, "pos_grid must be in 1..1024");
  need(c.num_registers >= 0 && c.num_registers <= 1024, "num_registers must be in 0..1024");
  need(c.ln_eps > 0 && c.ln_eps < 1, "ln_eps must be in (0, 1)");
  need(c.proj_dim >= 0, "proj_dim must be >= 0");
}

}  // namespace ss::nn
