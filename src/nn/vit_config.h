// Everything that distinguishes one ViT family or checkpoint from another, as plain data.
// One forward pass (nn/vit.h) covers DINOv2 (+registers), CLIP/OpenCLIP, HF ViT and DeiT by these
// fields alone; vit_detect.h fills them from config.json, key names and tensor shapes.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace ss::nn {

enum class VitFamily { Dinov2, Clip, Vit, Deit };
enum class Activation { Gelu, QuickGelu, GeluTanh };
enum class FfnKind { Mlp, SwiGlu };

// How the learned position grid is resized to a different patch grid.
enum class PosInterp {
  // DINOv2 original, non-register models: bicubic with scale_factor (n + offset) / M, no antialias;
  // PyTorch maps coordinates with the given scale, not out/in (vit-artifacts.md §1.1).
  ScaleOffset,
  // DINOv2 register models: bicubic to an explicit size, antialiased.
  SizeAntialias,
  // Current transformers (CLIP, ViT, DeiT, DINOv2 >= 4.48): bicubic to an explicit size.
  Size,
};

// Image preprocessing that belongs to the checkpoint (the eval transform of its family).
struct PreprocessSpec {
  int resize = 256;           // shorter side -> resize (torchvision Resize(int)); exact: H = W = resize
  bool exact_resize = false;  // HF ViTImageProcessor resizes to a square without keeping aspect
  bool bicubic = true;        // else bilinear
  int crop = 224;             // CenterCrop, 0 = none
  std::array<double, 3> mean{0.485, 0.456, 0.406};  // torchvision turns these into float32
  std::array<double, 3> std{0.229, 0.224, 0.225};
};

struct VitConfig {
  VitFamily family = VitFamily::Dinov2;
  std::string layout = "original";  // key naming of the file: original | hf | openclip
  int64_t dim = 0;
  int64_t depth = 0;
  int64_t heads = 0;
  int64_t mlp_hidden = 0;  // FFN hidden width (SwiGLU: width of each of the two branches)
  int64_t patch = 0;
  int64_t in_chans = 3;
  int64_t pos_grid = 0;         // M: the position embedding covers M x M patches
  int64_t pos_prefix = 1;       // prefix tokens that have a position embedding (CLS, DeiT dist)
  int64_t num_registers = 0;    // DINOv2 registers: after the prefix, no position embedding
  bool dist_token = false;      // DeiT distillation token (second prefix token)
  bool layerscale = false;
  bool pre_norm = false;        // CLIP ln_pre / pre_layrnorm on the embeddings
  bool patch_bias = true;       // CLIP's conv1 has none
  bool qkv_bias = true;
  FfnKind ffn = FfnKind::Mlp;
  Activation act = Activation::Gelu;
  double ln_eps = 1e-6;
  PosInterp interp = PosInterp::ScaleOffset;
  double interp_offset = 0.1;
  int64_t proj_dim = 0;         // CLIP visual projection width, 0 = none
  PreprocessSpec preprocess;

  int64_t head_dim() const { return dim / heads; }
  int64_t prefix_tokens() const { return pos_prefix + num_registers; }
  int64_t native_resolution() const { return pos_grid * patch; }
  // Tokens for an H x W input.
  int64_t num_tokens(int64_t h, int64_t w) const { return prefix_tokens() + (h / patch) * (w / patch); }
};

const char* family_name(VitFamily f);
const char* activation_name(Activation a);
const char* interp_name(PosInterp p);
Activation activation_from_name(const std::string& name);  // throws ss::UsageError
VitFamily family_from_name(const std::string& name);       // throws ss::UsageError

// Plain JSON: what `sinkscope info` prints and what `sinkscope init` reads.
nlohmann::json to_json(const VitConfig& c);
VitConfig vit_config_from_json(const nlohmann::json& j);  // throws ss::Error naming the bad key
// Fills dims the JSON leaves open (mlp_hidden, heads) and checks consistency.
void validate(const VitConfig& c);

}  // namespace ss::nn
