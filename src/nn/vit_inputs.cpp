#include "nn/vit_inputs.h"

#include "image/decode.h"
#include "image/transform.h"
#include "io/safetensors.h"
#include "nn/state_dict.h"
#include "util/error.h"

namespace ss::nn {

void check_resolution(const std::vector<int>& resolution, const VitConfig& config) {
  if (resolution.size() != 2 || resolution[0] <= 0 || resolution[1] <= 0 || resolution[0] % config.patch ||
      resolution[1] % config.patch || resolution[0] > 8192 || resolution[1] > 8192)
    throw UsageError("--resolution: expected H W, positive multiples of the patch size " +
                     std::to_string(config.patch) + " up to 8192");
}

at::Tensor load_images(const std::vector<std::string>& paths, const VitConfig& config,
                       const std::vector<int>& resolution) {
  image::Preprocess pp;
  const PreprocessSpec& spec = config.preprocess;
  if (!resolution.empty()) {
    check_resolution(resolution, config);
    pp.resize_h = resolution[0];
    pp.resize_w = resolution[1];
  } else if (spec.exact_resize) {
    pp.resize_h = pp.resize_w = spec.resize;
  } else {
    pp.resize_shorter = spec.resize;
  }
  if (resolution.empty()) pp.crop_h = pp.crop_w = spec.crop;
  pp.filter = spec.bicubic ? image::Filter::Bicubic : image::Filter::Bilinear;
  for (int c = 0; c < 3; ++c) {
    pp.mean[c] = static_cast<float>(spec.mean[c]);
    pp.std[c] = static_cast<float>(spec.std[c]);
  }

  std::vector<at::Tensor> batch;
  for (const auto& p : paths) {
    int h = 0, w = 0;
    std::vector<float> chw = image::preprocess(image::read_image(p), pp, &h, &w);
    at::Tensor t = at::from_blob(chw.data(), {3, h, w}, at::kFloat).clone();
    if (!batch.empty() && t.sizes() != batch.front().sizes())
      throw Error(p + ": preprocessed to " + std::to_string(h) + "x" + std::to_string(w) +
                  ", unlike the other images; use --resolution H W to batch images of different shapes");
    batch.push_back(t);
  }
  return at::stack(batch, 0);
}

at::Tensor load_pixel_file(const std::string& path) {
  const auto file = io::SafetensorsFile::open(path);
  const io::RawTensor* raw = file.find("pixel_values");
  if (!raw) throw Error(path + ": no tensor named pixel_values");
  at::Tensor t = to_tensor(*raw).to(at::kFloat).clone();
  if (t.dim() == 3) t = t.unsqueeze(0);
  if (t.dim() != 4 || t.size(1) != 3)
    throw Error(path + ": pixel_values must be [B, 3, H, W], got " + c10::str(t.sizes()));
  return t;
}

}  // namespace ss::nn
