// Model inputs from files: images through the checkpoint's own eval transform, or a preprocessed
// pixel tensor (the fixtures' format).
#pragma once

#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "nn/vit_config.h"

namespace ss::nn {

// Decodes and preprocesses images into [B, 3, H, W] float32. With `resolution` = {H, W} the images
// are resized to exactly H x W (bicubic, no crop: dense features); otherwise the checkpoint's eval
// transform (config.preprocess) is applied.
at::Tensor load_images(const std::vector<std::string>& paths, const VitConfig& config,
                       const std::vector<int>& resolution);

// Throws ss::UsageError naming --resolution unless it is H W, positive multiples of the patch up to 8192.
void check_resolution(const std::vector<int>& resolution, const VitConfig& config);

// `pixel_values` from a safetensors file: [B, 3, H, W] (a [3, H, W] tensor is taken as B = 1).
at::Tensor load_pixel_file(const std::string& path);

}  // namespace ss::nn
