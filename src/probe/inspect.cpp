#include "probe/inspect.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>

#include "nn/vit_inputs.h"
#include "util/error.h"
#include "util/progress.h"

namespace ss::probe {

namespace {

// What one forward pass leaves behind, already reduced so memory stays O(B * L * heads * T).
struct BatchRecorder {
  std::vector<at::Tensor> norms, cls_rows, recv;  // per layer: [B,T], [B,heads,T], [B,heads,T]
  at::Tensor pos, patch_embeds;
  int64_t pos_prefix = 1;

  void attach(nn::Hooks& hooks, const nn::VitConfig& cfg, bool attention) {
    pos_prefix = cfg.pos_prefix;
    norms.assign(static_cast<size_t>(cfg.depth), {});
    cls_rows.assign(static_cast<size_t>(cfg.depth), {});
    recv.assign(static_cast<size_t>(cfg.depth), {});
    hooks.add("blocks.*.out", [this](const std::string& n, at::Tensor& t) {
      norms[static_cast<size_t>(nn::block_index(n))] = t.detach().to(at::kFloat).norm(2, -1);
    });
    if (attention)
      hooks.add("blocks.*.attn.probs", [this](const std::string& n, at::Tensor& p) {
        const at::Tensor pf = p.detach().to(at::kFloat);
        cls_rows[static_cast<size_t>(nn::block_index(n))] = pf.select(2, 0).clone();
        recv[static_cast<size_t>(nn::block_index(n))] = pf.mean(2);
      });
    hooks.add("pos_embed", [this](const std::string&, at::Tensor& t) { pos = t.detach().to(at::kFloat); });
    hooks.add("embeddings", [this](const std::string&, at::Tensor& t) {
      // Input patch embedding without position embedding (Darcet Fig. 5a).
      patch_embeds = t.detach().to(at::kFloat).slice(1, pos_prefix) - pos.slice(1, pos_prefix);
    });
  }
};

struct Accum {
  std::vector<at::Tensor> norms, cls, recv, redundancy, features;
  int64_t extra = 0;
};

at::Tensor to_pictures(const at::Tensor& pixels, const nn::VitConfig& cfg) {
  const auto& pp = cfg.preprocess;
  const at::Tensor mean = at::tensor(std::vector<float>(pp.mean.begin(), pp.mean.end())).view({1, 3, 1, 1});
  const at::Tensor std = at::tensor(std::vector<float>(pp.std.begin(), pp.std.end())).view({1, 3, 1, 1});
  return (pixels.to(at::kFloat) * std + mean).mul(255.0).round().clamp(0, 255).to(at::kByte);
}

double median_of(const at::Tensor& t) { return t.numel() ? t.to(at::kDouble).median().item<double>() : 0.0; }

InspectResult finish(const std::string& name, const Accum& a, const nn::VitConfig& cfg, const TokenLayout& lay,
                     const InspectOptions& o, std::optional<double> inherited_threshold) {
  InspectResult r;
  r.name = name;
  r.layout = lay;
  r.depth = cfg.depth;
  r.heads = cfg.heads;
  const at::Tensor norms = at::cat(a.norms, 0);  // [B, L, T]
  r.images = norms.size(0);
  const int64_t P0 = lay.prefix, N = lay.patches();
  r.patch_norms = norms.slice(2, P0, P0 + N).contiguous();
  if (lay.extra > 0) r.extra_norms = norms.slice(2, P0 + N).contiguous();
  r.detect_layer = resolve_layer(o.detect_layer, cfg.depth, "--detect-layer");
  r.threshold_given = o.threshold.has_value();
  const at::Tensor det = r.patch_norms.select(1, r.detect_layer);
  r.threshold = o.threshold ? *o.threshold : inherited_threshold ? *inherited_threshold : default_threshold(det);
  const at::Tensor mask = det.gt(r.threshold);  // [B, N]
  const at::Tensor others = mask.logical_not();
  r.outlier_fraction = mask.to(at::kDouble).mean().item<double>();
  for (int64_t b = 0; b < r.images; ++b) {
    const at::Tensor idx = mask[b].nonzero().flatten().to(at::kLong).contiguous();
    r.outliers.emplace_back(idx.data_ptr<int64_t>(), idx.data_ptr<int64_t>() + idx.numel());
  }
  std::vector<double> separation;
  for (int64_t l = 0; l < cfg.depth; ++l) {
    const at::Tensor nl = r.patch_norms.select(1, l);
    LayerNormStats s = layer_norm_stats(nl, r.threshold, o.bins);
    const double mo = median_of(nl.masked_select(mask)), mr = median_of(nl.masked_select(others));
    s.outlier_separation = (mo > 0 && mr > 0) ? mo / mr : 0.0;
    separation.push_back(s.outlier_separation);
    r.layers.push_back(std::move(s));
  }
  r.first_layer = first_separating_layer(separation, r.detect_layer);

  const bool have_attn = !a.cls.empty() && a.cls.front().defined();
  if (have_attn) {
    const at::Tensor cls = at::cat(a.cls, 0), recv = at::cat(a.recv, 0);  // [B, L, heads, T]
    r.cls_attn = cls.slice(3, P0, P0 + N).contiguous();
    const at::Tensor m = mask.to(at::kFloat).view({r.images, 1, 1, N});
    const at::Tensor has = mask.any(1);  // images with outliers
    const int64_t nhas = has.sum().item<int64_t>();
    auto share = [&](const at::Tensor& t) {                // [B, L, heads, N] -> [L][heads]
      at::Tensor s = (t.slice(3, P0, P0 + N) * m).sum(3);  // [B, L, heads]
      s = nhas ? s.index({has}).mean(0) : at::zeros({cfg.depth, cfg.heads});
      std::vector<std::vector<double>> out(static_cast<size_t>(cfg.depth));
      const at::Tensor sd = s.to(at::kDouble).contiguous();
      for (int64_t l = 0; l < cfg.depth; ++l)
        for (int64_t h = 0; h < cfg.heads; ++h) out[static_cast<size_t>(l)].push_back(sd[l][h].item<double>());
      return out;
    };
    r.cls_to_outliers = share(cls);
    r.all_to_outliers = share(recv);
    if (lay.extra > 0) {
      const at::Tensor e = cls.slice(3, P0 + N).sum(3).mean(0).to(at::kDouble);  // [L, heads]
      r.cls_to_extra.resize(static_cast<size_t>(cfg.depth));
      for (int64_t l = 0; l < cfg.depth; ++l)
        for (int64_t h = 0; h < cfg.heads; ++h)
          r.cls_to_extra[static_cast<size_t>(l)].push_back(e[l][h].item<double>());
    }
  }

  r.redundancy = at::cat(a.redundancy, 0);
  const at::Tensor red = r.redundancy.view({r.images, N});
  r.redundancy_outliers = mask.any().item<bool>() ? red.masked_select(mask).mean().item<double>() : 0.0;
  r.redundancy_others = others.any().item<bool>() ? red.masked_select(others).mean().item<double>() : 0.0;
  at::Tensor border = at::zeros({lay.grid_h, lay.grid_w}, at::kBool);
  border.select(0, 0).fill_(true), border.select(0, lay.grid_h - 1).fill_(true);
  border.select(1, 0).fill_(true), border.select(1, lay.grid_w - 1).fill_(true);
  border = border.flatten().view({1, N}).expand({r.images, N});
  r.border_all = border.to(at::kDouble).mean().item<double>();
  r.border_outliers = mask.any().item<bool>() ? border.masked_select(mask).to(at::kDouble).mean().item<double>() : 0.0;
  return r;
}

}  // namespace

InspectRun inspect_batches(const nn::VisionTransformer& model, int64_t total,
                           const std::function<at::Tensor(int64_t, int64_t)>& load, const InspectOptions& o,
                           const std::vector<Variant>& variants) {
  if (variants.empty() || variants.size() > 2) throw Error("inspect: expected one or two variants");
  if (o.batch <= 0) throw UsageError("--batch must be > 0, got " + std::to_string(o.batch));
  if (total <= 0) throw UsageError("inspect: no images");
  const nn::VitConfig& cfg = model.config();
  resolve_layer(o.detect_layer, cfg.depth, "--detect-layer");
  std::vector<Accum> acc(variants.size());
  std::vector<at::Tensor> pictures, cosines;
  TokenLayout lay;
  lay.prefix = cfg.prefix_tokens();
  Progress bar("inspect", total, "img");
  for (int64_t i = 0; i < total; i += o.batch) {
    const int64_t n = std::min(o.batch, total - i);
    const at::Tensor pixels = load(i, n);
    lay.grid_h = pixels.size(2) / cfg.patch;
    lay.grid_w = pixels.size(3) / cfg.patch;
    const int64_t kept = static_cast<int64_t>(pictures.empty() ? 0 : at::cat(pictures, 0).size(0));
    if (kept < o.keep_images) pictures.push_back(to_pictures(pixels.slice(0, 0, o.keep_images - kept), cfg));
    std::vector<at::Tensor> finals;
    for (size_t v = 0; v < variants.size(); ++v) {
      nn::Hooks hooks;
      BatchRecorder rec;
      rec.attach(hooks, cfg, o.attention);
      if (variants[v].install) variants[v].install(hooks);
      const nn::VitOutput out = model.forward(pixels, hooks);
      const int64_t T = out.final_norm.size(1);
      if (T != lay.prefix + lay.patches() + variants[v].extra_tokens)
        throw Error("inspect: variant '" + variants[v].name + "' produced " + std::to_string(T) + " tokens, expected " +
                    std::to_string(lay.prefix + lay.patches() + variants[v].extra_tokens));
      acc[v].extra = variants[v].extra_tokens;
      acc[v].norms.push_back(at::stack(rec.norms, 1));
      if (o.attention) {
        acc[v].cls.push_back(at::stack(rec.cls_rows, 1));
        acc[v].recv.push_back(at::stack(rec.recv, 1));
      }
      acc[v].redundancy.push_back(neighbour_redundancy(rec.patch_embeds, lay.grid_h, lay.grid_w));
      finals.push_back(out.final_norm.slice(1, lay.prefix, lay.prefix + lay.patches()).to(at::kFloat));
    }
    if (finals.size() == 2) {
      const at::Tensor dot = (finals[0] * finals[1]).sum(-1);
      const at::Tensor n0 = finals[0].norm(2, -1), n1 = finals[1].norm(2, -1);
      const at::Tensor cos = dot / (n0 * n1).clamp_min(1e-12);
      const at::Tensor rel = (finals[1] - finals[0]).norm(2, -1) / n0.clamp_min(1e-12);
      cosines.push_back(at::stack({cos, rel}, 2));  // [B, N, 2]
    }
    bar.advance(n);
  }
  bar.finish();
  InspectRun run;
  for (size_t v = 0; v < variants.size(); ++v) {
    TokenLayout l = lay;
    l.extra = acc[v].extra;
    std::optional<double> inherit;
    if (v > 0) inherit = run.variants[0].threshold;  // the fixed model is judged by the baseline's tau
    run.variants.push_back(finish(variants[v].name, acc[v], cfg, l, o, inherit));
    if (!pictures.empty()) run.variants.back().pictures = at::cat(pictures, 0);
  }
  if (!cosines.empty()) {
    const at::Tensor c = at::cat(cosines, 0).to(at::kDouble);  // [B, N, 2]
    const at::Tensor ordinary = at::ones({c.size(0), c.size(1)}, at::kBool);
    for (int64_t b = 0; b < c.size(0); ++b)
      for (int64_t p : run.variants[0].outliers[static_cast<size_t>(b)]) ordinary[b][p] = false;
    FeatureChange fc;
    const at::Tensor cos = c.select(2, 0), rel = c.select(2, 1);
    fc.mean_cosine_all = cos.mean().item<double>();
    if (ordinary.any().item<bool>()) {
      fc.mean_cosine_ordinary = cos.masked_select(ordinary).mean().item<double>();
      fc.min_cosine_ordinary = cos.masked_select(ordinary).min().item<double>();
      fc.mean_relative_l2_ordinary = rel.masked_select(ordinary).mean().item<double>();
    }
    run.change = fc;
  }
  return run;
}

InspectRun inspect_images(const nn::VisionTransformer& model, const std::vector<std::string>& images,
                          const InspectOptions& o, const std::vector<Variant>& variants) {
  return inspect_batches(
      model, static_cast<int64_t>(images.size()),
      [&](int64_t i, int64_t n) {
        const std::vector<std::string> chunk(images.begin() + i, images.begin() + i + n);
        return nn::load_images(chunk, model.config(), o.resolution);
      },
      o, variants);
}

InspectRun inspect_pixels(const nn::VisionTransformer& model, const at::Tensor& pixels, const InspectOptions& o,
                          const std::vector<Variant>& variants) {
  return inspect_batches(
      model, pixels.size(0), [&](int64_t i, int64_t n) { return pixels.slice(0, i, i + n); }, o, variants);
}

nlohmann::json to_json(const FeatureChange& c) {
  return {{"mean_cosine_ordinary", c.mean_cosine_ordinary},
          {"min_cosine_ordinary", c.min_cosine_ordinary},
          {"mean_cosine_all", c.mean_cosine_all},
          {"mean_relative_l2_ordinary", c.mean_relative_l2_ordinary}};
}

nlohmann::json to_json(const InspectResult& r) {
  nlohmann::json layers = nlohmann::json::array();
  for (size_t l = 0; l < r.layers.size(); ++l) {
    const auto& s = r.layers[l];
    nlohmann::json j = {{"layer", l},
                        {"mean_norm", s.mean},
                        {"std_norm", s.std},
                        {"median_norm", s.median},
                        {"p98_norm", s.p98},
                        {"max_norm", s.max},
                        {"max_median_ratio", s.max_median_ratio},
                        {"outlier_fraction", s.outlier_fraction},
                        {"outlier_separation", s.outlier_separation},
                        {"histogram", {{"min", 0.0}, {"max", s.hist_max}, {"counts", s.hist}}}};
    if (!r.cls_to_outliers.empty()) {
      j["cls_attention_to_outliers"] = r.cls_to_outliers[l];
      j["attention_to_outliers"] = r.all_to_outliers[l];
    }
    if (!r.cls_to_extra.empty()) j["cls_attention_to_registers"] = r.cls_to_extra[l];
    if (r.extra_norms.defined()) {
      const at::Tensor e = r.extra_norms.select(1, static_cast<int64_t>(l)).to(at::kDouble);
      j["register_norm_mean"] = e.mean().item<double>();
      j["register_norm_max"] = e.max().item<double>();
    }
    layers.push_back(std::move(j));
  }
  nlohmann::json outliers = nlohmann::json::array();
  for (const auto& o : r.outliers) outliers.push_back(o);
  return {{"variant", r.name},
          {"images", r.images},
          {"layers", r.depth},
          {"heads", r.heads},
          {"grid", {r.layout.grid_h, r.layout.grid_w}},
          {"prefix_tokens", r.layout.prefix},
          {"appended_tokens", r.layout.extra},
          {"detect_layer", r.detect_layer},
          {"threshold", r.threshold},
          {"threshold_source", r.threshold_given ? "flag" : "mean+3std"},
          {"first_outlier_layer", r.first_layer},
          {"outlier_fraction", r.outlier_fraction},
          {"localisation",
           {{"redundancy_outliers", r.redundancy_outliers},
            {"redundancy_others", r.redundancy_others},
            {"border_fraction_outliers", r.border_outliers},
            {"border_fraction_all", r.border_all}}},
          {"per_layer", layers},
          {"outlier_positions", outliers}};
}

std::string verdict(const InspectResult& r) {
  char buf[512];
  const auto& d = r.layers[static_cast<size_t>(r.detect_layer)];
  if (r.outlier_fraction <= 0) {
    std::snprintf(buf, sizeof buf, "no high-norm outliers: max/median patch norm %.2f at layer %lld (threshold %.1f)",
                  d.max_median_ratio, static_cast<long long>(r.detect_layer), r.threshold);
    return buf;
  }
  if (r.first_layer < 0) {
    std::snprintf(buf, sizeof buf,
                  "no distinct high-norm outliers: max/median patch norm %.2f at layer %lld; the %.2f%% of patches "
                  "above %.1f do not separate from the rest (outlier/other median norm %.2f < 2)",
                  d.max_median_ratio, static_cast<long long>(r.detect_layer), 100 * r.outlier_fraction, r.threshold,
                  d.outlier_separation);
    return buf;
  }
  std::string s;
  std::snprintf(buf, sizeof buf, "%.1f%% of patches are high-norm outliers", 100 * r.outlier_fraction);
  s = buf;
  s += " from layer " + std::to_string(r.first_layer);
  std::snprintf(buf, sizeof buf, " (norm > %.1f at layer %lld, max/median %.1f)", r.threshold,
                static_cast<long long>(r.detect_layer), d.max_median_ratio);
  s += buf;
  if (!r.cls_to_outliers.empty()) {
    int64_t best = -1;
    double best_v = -1;
    for (int64_t l = std::max<int64_t>(r.first_layer, 0); l < r.depth; ++l) {
      const auto& h = r.cls_to_outliers[static_cast<size_t>(l)];
      double m = 0;
      for (double v : h) m += v / static_cast<double>(h.size());
      if (m > best_v) best_v = m, best = l;
    }
    std::snprintf(buf, sizeof buf, "; they receive %.0f%% of CLS attention (layer %lld, mean over heads)", 100 * best_v,
                  static_cast<long long>(best));
    s += buf;
  }
  return s;
}

}  // namespace ss::probe
