#include "report/heatmap.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "image/png_writer.h"
#include "util/error.h"

namespace ss::report {

std::array<uint8_t, 3> heat_colour(double t) {
  // Anchor colours chosen by hand; linear interpolation between them.
  static const double anchors[][3] = {{0, 0, 4}, {60, 15, 110}, {170, 40, 90}, {240, 110, 30}, {252, 250, 170}};
  constexpr int n = 5;
  if (!(t > 0)) t = 0;  // also NaN
  if (t > 1) t = 1;
  const double x = t * (n - 1);
  const int i = std::min(static_cast<int>(x), n - 2);
  const double f = x - i;
  std::array<uint8_t, 3> c{};
  for (int k = 0; k < 3; ++k)
    c[static_cast<size_t>(k)] = static_cast<uint8_t>(std::lround(anchors[i][k] * (1 - f) + anchors[i + 1][k] * f));
  return c;
}

void write_heatmap_png(const std::string& path, const at::Tensor& grid_in, double lo, double hi,
                       const at::Tensor& picture, double alpha, int cell) {
  if (grid_in.dim() != 2) throw Error(path + ": heatmap grid must be 2-D");
  const at::Tensor grid = grid_in.to(at::kDouble).contiguous();
  const int gh = static_cast<int>(grid.size(0)), gw = static_cast<int>(grid.size(1));
  const double* g = grid.data_ptr<double>();
  const double span = hi > lo ? hi - lo : 1.0;
  const bool over = picture.defined();
  const int H = over ? static_cast<int>(picture.size(1)) : gh * cell;
  const int W = over ? static_cast<int>(picture.size(2)) : gw * cell;
  at::Tensor pic;
  if (over) pic = picture.to(at::kByte).contiguous();
  const uint8_t* p = over ? pic.data_ptr<uint8_t>() : nullptr;
  std::vector<uint8_t> out(static_cast<size_t>(H) * W * 3);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      const int gy = std::min(gh - 1, y * gh / H), gx = std::min(gw - 1, x * gw / W);
      const auto c = heat_colour((g[gy * gw + gx] - lo) / span);
      double grey = 0;
      if (over) {
        const size_t plane = static_cast<size_t>(H) * W, at = static_cast<size_t>(y) * W + x;
        grey = 0.299 * p[at] + 0.587 * p[plane + at] + 0.114 * p[2 * plane + at];
      }
      for (int k = 0; k < 3; ++k) {
        const double v = over ? alpha * c[static_cast<size_t>(k)] + (1 - alpha) * grey : c[static_cast<size_t>(k)];
        out[(static_cast<size_t>(y) * W + x) * 3 + k] = static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L));
      }
    }
  image::write_png(path, W, H, 3, out.data());
}

void write_picture_png(const std::string& path, const at::Tensor& picture) {
  const at::Tensor hwc = picture.to(at::kByte).permute({1, 2, 0}).contiguous();
  image::write_png(path, static_cast<int>(hwc.size(1)), static_cast<int>(hwc.size(0)), 3, hwc.data_ptr<uint8_t>());
}

}  // namespace ss::report
