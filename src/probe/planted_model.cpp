#include "probe/planted_model.h"

#include <ATen/CPUGeneratorImpl.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "image/png_writer.h"
#include "io/safetensors.h"
#include "nn/vit_init.h"
#include "util/error.h"

namespace ss::probe {

namespace {

// splitmix64: a tiny deterministic generator for the test images (independent of torch's RNG).
struct Rng {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  int uniform(int lo, int hi) { return lo + static_cast<int>(next() % static_cast<uint64_t>(hi - lo + 1)); }
};

PlantSpec spec_from_json(const nlohmann::json& j) {
  PlantSpec s;
  if (!j.is_object()) return s;
  s.layer = j.value("layer", s.layer);
  s.neurons = j.value("neurons", s.neurons);
  s.sink_heads = j.value("sink_heads", s.sink_heads);
  s.seed = j.value("seed", s.seed);
  s.texture_filters = j.value("texture_filters", s.texture_filters);
  s.write_scale = j.value("write_scale", s.write_scale);
  s.fire_bias = j.value("fire_bias", s.fire_bias);
  s.energy_gain = j.value("energy_gain", s.energy_gain);
  s.query_bias = j.value("query_bias", s.query_bias);
  s.key_gain = j.value("key_gain", s.key_gain);
  return s;
}

void check(bool ok, const std::string& what) {
  if (!ok) throw Error("planted model config: " + what);
}

}  // namespace

nlohmann::json to_json(const PlantSpec& s) {
  return {{"layer", s.layer},
          {"neurons", s.neurons},
          {"sink_heads", s.sink_heads},
          {"seed", s.seed},
          {"texture_filters", s.texture_filters},
          {"write_scale", s.write_scale},
          {"fire_bias", s.fire_bias},
          {"energy_gain", s.energy_gain},
          {"query_bias", s.query_bias},
          {"key_gain", s.key_gain}};
}

PlantedModel build_planted_model(const nlohmann::json& j) {
  PlantedModel m;
  m.config = nn::vit_config_from_json(j);
  m.spec = spec_from_json(j.contains("plant") ? j["plant"] : nlohmann::json());
  const nn::VitConfig& c = m.config;
  const PlantSpec& s = m.spec;
  const int64_t D = c.dim, H = c.mlp_hidden, F = s.texture_filters, P = c.patch, hd = c.head_dim();
  check(c.family == nn::VitFamily::Dinov2 && c.layerscale && c.ffn == nn::FfnKind::Mlp,
        "family must be dinov2 (LayerScale, GELU MLP)");
  check(c.num_registers == 0, "num_registers must be 0 (test-time registers are added at run time)");
  check(s.layer >= 1 && s.layer < c.depth - 1, "plant.layer must be in [1, depth-2]");
  check(D >= 2 * F + 24, "dim too small for " + std::to_string(F) + " texture filters");
  check(H >= 2 * F + 1, "mlp_hidden too small");
  for (int64_t n : s.neurons) check(n >= 0 && n < H, "plant.neurons: " + std::to_string(n) + " out of range");
  for (int64_t h : s.sink_heads) check(h >= 0 && h < c.heads, "plant.sink_heads: head out of range");
  if (s.layer == 0) {
    for (int64_t n : s.neurons) check(n >= 2 * F, "plant.neurons must not overlap block 0's energy neurons");
  }

  m.weights = nn::random_vit_weights(c, s.seed);
  nn::StateDict& w = m.weights;
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(s.seed + 7919);

  // Orthonormal directions orthogonal to the all-ones vector: LayerNorm then only rescales their
  // span (mean subtraction is a no-op on it), so each coordinate keeps its meaning after norm1/norm2.
  at::Tensor g = at::normal(0.0, 1.0, {D, D - 1}, gen);
  g = g - g.mean(0, true);
  at::Tensor Q = std::get<0>(at::linalg_qr(g));  // [D, D-1]
  auto dir = [&Q](int64_t k) { return Q.select(1, k); };
  const at::Tensor u = dir(0), energy = dir(1);
  auto tex = [&](int64_t f) { return dir(2 + f); };
  const int64_t content0 = 2 + F, free0 = content0 + 9;

  // (1) Patch embedding = sum_k direction_k (x) filter_k. Content: channel means and two ramps per
  // channel (low frequencies). Texture: zero-mean +-1 luminance patterns with unit norm, which are
  // exactly 0 on a flat patch. Plus a constant bias so every patch has a comparable norm.
  at::Tensor pw = at::zeros({D, 3, P, P});
  const at::Tensor ramp = (at::arange(P, at::kFloat) - (P - 1) / 2.0) / ((P - 1) / 2.0);
  for (int64_t ch = 0; ch < 3; ++ch) {
    at::Tensor mean_f = at::zeros({3, P, P});
    mean_f[ch].fill_(3.0 / (P * P));
    at::Tensor ry = at::zeros({3, P, P}), rx = at::zeros({3, P, P});
    ry[ch] = ramp.view({P, 1}).expand({P, P}) * (3.0 / (P * P));
    rx[ch] = ramp.view({1, P}).expand({P, P}) * (3.0 / (P * P));
    pw += dir(content0 + 3 * ch).view({D, 1, 1, 1}) * mean_f.unsqueeze(0);
    pw += dir(content0 + 3 * ch + 1).view({D, 1, 1, 1}) * ry.unsqueeze(0);
    pw += dir(content0 + 3 * ch + 2).view({D, 1, 1, 1}) * rx.unsqueeze(0);
  }
  for (int64_t f = 0; f < F; ++f) {
    at::Tensor r = at::bernoulli(at::full({P, P}, 0.5), gen) * 2 - 1;
    r = r - r.mean();
    r = r / r.norm() * (4.0 / 3.0);  // luminance: the same pattern on each channel
    pw += tex(f).view({D, 1, 1, 1}) * r.view({1, 1, P, P}).expand({1, 3, P, P});
  }
  w["patch_embed.weight"] = pw;
  w["patch_embed.bias"] = dir(free0) * 5.0;
  // Position embeddings: small, in the free directions only.
  const int64_t nfree = D - 1 - free0;
  at::Tensor free_basis = Q.slice(1, free0 + 1);  // [D, nfree-1]
  w["pos_embed"] =
      at::matmul(at::normal(0.0, 0.2, {c.pos_prefix + c.pos_grid * c.pos_grid, nfree - 1}, gen), free_basis.t());
  // CLS carries an energy offset, as a textured patch would, so the flat-patch detector stays off on it.
  w["cls_token"] = dir(free0 + 1) * 4.0 + energy * 6.0;

  // (2) Block 0: neurons 2f and 2f+1 compute gelu(s r_f) + gelu(-s r_f) = s r_f erf(s r_f / sqrt 2)
  // ~ s |r_f| and write it to the energy direction: a texture-energy (variance-like) feature.
  {
    at::Tensor fc1 = w["blocks.0.mlp.fc1.weight"], fc2 = w["blocks.0.mlp.fc2.weight"];
    for (int64_t f = 0; f < F; ++f) {
      fc1[2 * f] = tex(f) * 2.0;
      fc1[2 * f + 1] = tex(f) * -2.0;
      fc2.select(1, 2 * f).copy_(energy * 0.2);
      fc2.select(1, 2 * f + 1).copy_(energy * 0.2);
    }
  }

  // (3) The planted register neurons: pre = fire_bias - energy_gain * <LN(x), energy>, so they fire
  // on flat (low-energy) patches and are silent on textured ones; each writes write_scale * u.
  {
    const std::string p = "blocks." + std::to_string(s.layer) + ".mlp.";
    at::Tensor fc1 = w[p + "fc1.weight"], b1 = w[p + "fc1.bias"], fc2 = w[p + "fc2.weight"];
    for (size_t k = 0; k < s.neurons.size(); ++k) {
      // Each neuron a little weaker than the previous one, so their ranks are well defined.
      const int64_t n = s.neurons[k];
      fc1[n] = energy * -s.energy_gain;
      b1[n] = s.fire_bias * (1.0 - 0.1 * static_cast<double>(k));
      fc2.select(1, n).copy_(u * s.write_scale);
    }
  }

  // (4) Sink heads in every later block: query coordinate 0 gets a constant bias (LN's output has no
  // constant direction, the qkv bias does), key coordinate 0 reads LN(x) along u. A token dominated by
  // u has LN(x).u ~ sqrt(D), so its score is ~ query_bias * key_gain * sqrt(D) / sqrt(hd).
  for (int64_t l = s.layer + 1; l < c.depth; ++l) {
    const std::string p = "blocks." + std::to_string(l) + ".attn.qkv.";
    at::Tensor qw = w[p + "weight"], qb = w[p + "bias"];
    for (int64_t h : s.sink_heads) {
      qw[h * hd].zero_();
      qb[h * hd] = s.query_bias;
      qw[D + h * hd] = u * s.key_gain;
      qb[D + h * hd] = 0.0;
    }
  }
  return m;
}

void write_planted_model(const PlantedModel& m, const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  std::vector<io::RawTensor> raws;
  for (const auto& kv : m.weights) raws.push_back(nn::to_raw(kv.first, kv.second.contiguous()));
  io::write_safetensors((dir / "model.safetensors").string(), raws,
                        {{"format", "pt"}, {"producer", "sinkscope plant"}});
  nlohmann::json cfg = nn::to_json(m.config);
  std::ofstream(dir / "sinkscope.json") << cfg.dump(2) << "\n";
  std::ofstream(dir / "plant.json") << to_json(m.spec).dump(2) << "\n";
  if (!std::filesystem::exists(dir / "plant.json")) throw Error((dir / "plant.json").string() + ": cannot write");
}

std::vector<uint8_t> planted_test_image(uint64_t seed, const std::vector<int64_t>& flat_cells) {
  constexpr int S = 256, off = 16, P = 14, G = 16;
  Rng rng{seed * 0x2545F4914F6CDD1Dull + 1};
  std::vector<uint8_t> px(S * S * 3);
  // The flat cells have the textured area's mean colour: background without detail.
  int base[3];
  for (int ch = 0; ch < 3; ++ch) base[ch] = rng.uniform(70, 185);
  for (int y = 0; y < S; ++y)
    for (int x = 0; x < S; ++x)
      for (int ch = 0; ch < 3; ++ch) {
        const int v = base[ch] + rng.uniform(-60, 60) + (x - S / 2) / 8;
        px[(y * S + x) * 3 + ch] = static_cast<uint8_t>(std::clamp(v, 0, 255));
      }
  for (int64_t cell : flat_cells) {
    if (cell < 0 || cell >= G * G) throw Error("planted_test_image: cell " + std::to_string(cell) + " out of range");
    const int r = static_cast<int>(cell / G), cc = static_cast<int>(cell % G);
    for (int y = off + r * P; y < off + (r + 1) * P; ++y)
      for (int x = off + cc * P; x < off + (cc + 1) * P; ++x)
        for (int ch = 0; ch < 3; ++ch) px[(y * S + x) * 3 + ch] = static_cast<uint8_t>(base[ch] + (x - S / 2) / 8);
  }
  return px;
}

std::vector<std::string> write_planted_images(const std::filesystem::path& dir, int count, uint64_t seed,
                                              std::vector<std::vector<int64_t>>* flat) {
  std::filesystem::create_directories(dir);
  std::vector<std::string> paths;
  Rng rng{seed + 12345};
  for (int i = 0; i < count; ++i) {
    // One flat rectangle of 2-3 x 2-4 cells (1.5-4.7% of the 256 patches): a patch of background.
    const int h = rng.uniform(2, 3), wd = rng.uniform(2, 4);
    const int r0 = rng.uniform(0, 16 - h), c0 = rng.uniform(0, 16 - wd);
    std::vector<int64_t> cells;
    for (int r = r0; r < r0 + h; ++r)
      for (int c = c0; c < c0 + wd; ++c) cells.push_back(r * 16 + c);
    char name[32];
    std::snprintf(name, sizeof name, "img_%03d.png", i);
    const std::string path = (dir / name).string();
    const auto px = planted_test_image(seed * 1000 + static_cast<uint64_t>(i), cells);
    image::write_png(path, 256, 256, 3, px.data());
    paths.push_back(path);
    if (flat) flat->push_back(cells);
  }
  return paths;
}

}  // namespace ss::probe
