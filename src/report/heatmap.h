// Heatmap pictures for the reports: a patch-grid value map, coloured and laid over the input image.
#pragma once

#include <ATen/ATen.h>

#include <array>
#include <cstdint>
#include <string>

namespace ss::report {

// A perceptually ordered dark-to-bright ramp (black, indigo, red, orange, pale yellow); t in [0, 1].
std::array<uint8_t, 3> heat_colour(double t);

// Writes `grid` [gh, gw] (any float) as a PNG, values mapped linearly from [lo, hi] onto the ramp.
// With `picture` ([3, H, W] uint8) the map is upsampled to H x W (nearest: one block per patch) and
// blended over a grey version of the picture with weight `alpha`; without it each patch becomes a
// `cell` x `cell` block.
void write_heatmap_png(const std::string& path, const at::Tensor& grid, double lo, double hi,
                       const at::Tensor& picture = {}, double alpha = 0.65, int cell = 8);

// Writes a [3, H, W] uint8 picture as a PNG.
void write_picture_png(const std::string& path, const at::Tensor& picture);

}  // namespace ss::report
