// The model input transforms, as torchvision 0.14 computes them on a PIL image (RGB), bit-exact:
// Resize → CenterCrop → ToTensor → Normalize.
//
// Semantics checked against torchvision 0.14.1 (transforms/functional.py, functional_pil.py):
//  - Resize(int s): the shorter side becomes s, the longer int(s * long / short) (Python true
//    division in double, then truncation: _compute_resized_output_size). When that equals the input
//    size the pixels are unchanged (PIL's resize returns a copy). The resize is PIL's
//    Image.resize, which always antialiases; torchvision's `antialias` argument does not apply to
//    PIL images. `max_size` is not supported here: both reference transforms leave it None.
//  - Resize((h, w)): exactly h x w (resize_h/resize_w below).
//  - CenterCrop((ch, cw)): top = int(round((h - ch) / 2.0)) with Python's round-half-to-even, same
//    for left. A side shorter than the crop is first zero-padded (black pixels, before
//    normalisation) by (c - s) // 2 before and (c - s + 1) // 2 after.
//  - ToTensor: float32(x) / 255 (a float32 division), CHW.
//  - Normalize: (x - mean) / std in float32, mean and std rounded from Python floats (double) to
//    float32 as torch.as_tensor does, two separately rounded operations (no reciprocal, no FMA).
// Known gap: openai/CLIP converts to RGB *after* Resize/CenterCrop, so for RGBA, LA, P or CMYK
// sources its resize sees the original mode (premultiplied alpha, nearest for palettes, CMYK
// channels). preprocess() starts from an RGB image; results match CLIP exactly for RGB and
// grayscale files only. DINOv2's dataset loaders convert to RGB first, as here.
#pragma once

#include <array>
#include <vector>

#include "image/image.h"
#include "image/resample.h"

namespace ss::image {

struct Preprocess {
  int resize_shorter = 0;          // torchvision Resize(int); 0 = no resize
  int crop_h = 0, crop_w = 0;      // CenterCrop((crop_h, crop_w)); both 0 = no crop
  int resize_h = 0, resize_w = 0;  // Resize((resize_h, resize_w)) (HF ViT/DeiT processors); excludes resize_shorter
  Filter filter = Filter::Bicubic;
  std::array<float, 3> mean{0.f, 0.f, 0.f}, std{1.f, 1.f, 1.f};  // Normalize, per RGB channel
};

// Returns the CHW float32 tensor [3, H, W] and sets *out_h, *out_w (when not null).
// Throws ss::UsageError for inconsistent settings (negative or half-given sizes, resize_h/w combined
// with resize_shorter, a zero std) and ss::Error for an empty or inconsistent image or an
// output beyond image.h's limits.
std::vector<float> preprocess(const Image& img, const Preprocess& p, int* out_h, int* out_w);

// facebookresearch/dinov2 make_classification_eval_transform(): Resize(256, BICUBIC),
// CenterCrop(224), ImageNet mean/std.
Preprocess dinov2_eval_transform();

// openai/CLIP clip._transform(n_px): Resize(n_px, BICUBIC), CenterCrop(n_px), CLIP mean/std.
Preprocess clip_transform(int n_px = 224);

}  // namespace ss::image
