// Resizing a learned position grid to the patch grid of the input (vit-artifacts.md §1.1, §1.6).
#pragma once

#include <ATen/ATen.h>

#include "nn/vit_config.h"

namespace ss::nn {

// `pos` is [P, D]: `prefix` rows (CLS, DeiT dist) then an M x M patch grid. Returns [prefix + h0*w0, D]
// in float32, computed the way the checkpoint's original code does it:
//  - ScaleOffset: F.interpolate(scale_factor=((h0+off)/M, (w0+off)/M), bicubic) - PyTorch then maps
//    output o to source (o + 0.5) / scale - 0.5, which is NOT the out/in mapping of a size-based resize;
//  - SizeAntialias / Size: F.interpolate(size=(h0, w0), bicubic, antialias on/off).
// Like the original, nothing is resized when the grid already matches (DINOv2 also requires h0 == w0).
at::Tensor interpolate_pos_embed(const at::Tensor& pos, int64_t prefix, int64_t h0, int64_t w0, PosInterp mode,
                                 double offset);

}  // namespace ss::nn
