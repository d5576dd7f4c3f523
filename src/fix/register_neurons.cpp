#include "fix/register_neurons.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "probe/inspect.h"
#include "probe/norm_stats.h"
#include "io/json_strict.h"
#include "util/error.h"
#include "util/progress.h"

namespace ss::fix {

namespace {

int64_t layer_of(const std::string& name) {  // "blocks.{i}.xxx" -> i
  const size_t a = name.find('.') + 1, b = name.find('.', a);
  return std::stoll(name.substr(a, b - a));
}

}  // namespace

NeuronMap parse_register_neurons(const nlohmann::json& j_in, int64_t depth, int64_t hidden, const std::string& where) {
  const nlohmann::json& j = j_in.is_object() && j_in.contains("register_neurons") ? j_in["register_neurons"] : j_in;
  if (!j.is_object()) throw Error(where + ": expected an object {\"<layer>\": [neuron, ...]}");
  NeuronMap m;
  for (const auto& kv : j.items()) {
    int64_t layer = 0;
    try {
      size_t used = 0;
      layer = std::stoll(kv.key(), &used);
      if (used != kv.key().size()) throw std::invalid_argument("trailing");
    } catch (const std::exception&) {
      throw Error(where + ": key '" + kv.key() + "' is not a layer index");
    }
    const int64_t l = layer < 0 ? depth + layer : layer;
    if (l < 0 || l >= depth)
      throw Error(where + ": layer " + kv.key() + " out of range for a " + std::to_string(depth) + "-block model");
    if (!kv.value().is_array()) throw Error(where + ": layer " + kv.key() + ": expected an array of neuron indices");
    auto& list = m[l];
    for (const auto& n : kv.value()) {
      if (!n.is_number_integer() || n.get<int64_t>() < 0 || n.get<int64_t>() >= hidden)
        throw Error(where + ": layer " + kv.key() + ": neuron " + n.dump() + " is not in [0, " +
                    std::to_string(hidden) + ")");
      if (std::find(list.begin(), list.end(), n.get<int64_t>()) == list.end()) list.push_back(n.get<int64_t>());
    }
    if (list.empty()) m.erase(l);
  }
  if (m.empty()) throw Error(where + ": no register neurons listed");
  return m;
}

NeuronMap load_register_neurons(const std::filesystem::path& path, int64_t depth, int64_t hidden) {
  return parse_register_neurons(io::read_json_file(path.string()), depth, hidden, path.string());
}

FindOptions family_defaults(const nn::VitConfig& c, std::string* source) {
  FindOptions o;
  std::string src = "heuristics (Jiang et al. A.4)";
  if (c.family == nn::VitFamily::Dinov2 && c.dim == 1024 && c.depth == 24) {
    o.detect_layer = -2, o.threshold = 150.0, o.top_layer = 17, o.top_k = 45;
    src = "paper defaults for DINOv2 ViT-L/14 (Jiang et al. §3, A.12)";
  } else if (c.family == nn::VitFamily::Clip && c.dim == 768 && c.depth == 12 && c.patch == 16) {
    o.detect_layer = -1, o.threshold = 75.0, o.top_layer = 5, o.top_k = 10;
    src = "paper defaults for OpenCLIP ViT-B/16 (Jiang et al. §3.2)";
  } else {
    o.detect_layer = -1, o.top_k = 10;
  }
  if (source) *source = src;
  return o;
}

NeuronMap FindResult::neurons() const {
  NeuronMap m;
  for (const auto& r : ranked) m[r.layer].push_back(r.neuron);
  return m;
}

FindResult find_register_neurons(const nn::VisionTransformer& model, int64_t images,
                                 const std::function<at::Tensor(int64_t, int64_t)>& load, FindOptions o) {
  const nn::VitConfig& cfg = model.config();
  if (images <= 0) throw UsageError("registers find: no images");
  if (o.batch <= 0) throw UsageError("--batch must be > 0, got " + std::to_string(o.batch));
  FindResult r;
  const FindOptions d = family_defaults(cfg, &r.defaults_source);
  if (!o.detect_layer) o.detect_layer = d.detect_layer;
  if (!o.threshold) o.threshold = d.threshold;
  if (!o.top_layer) o.top_layer = d.top_layer;
  if (!o.top_k) o.top_k = d.top_k;
  r.detect_layer = probe::resolve_layer(*o.detect_layer, cfg.depth, "--detect-layer");
  r.threshold_source = o.threshold ? "given" : "mean+3std";
  r.top_layer_source = o.top_layer ? "given" : "first outlier layer";
  if (!o.threshold || !o.top_layer) {
    // A.4 heuristics need the norm distribution: one norms-only pass (probe::inspect without attention).
    probe::InspectOptions io;
    io.detect_layer = r.detect_layer;
    io.threshold = o.threshold;
    io.batch = o.batch;
    io.attention = false;
    io.keep_images = 0;
    const probe::InspectResult ir = probe::inspect_batches(model, images, load, io, {probe::Variant{}}).variants[0];
    if (!o.threshold) o.threshold = ir.threshold;
    if (!o.top_layer) {
      if (ir.first_layer < 0)
        throw Error("registers find: no layer where high-norm outliers separate (threshold " +
                    std::to_string(ir.threshold) + "); pass --top-layer and --norm-threshold");
      o.top_layer = ir.first_layer;
    }
  }
  r.threshold = *o.threshold;
  r.top_layer = probe::resolve_layer(*o.top_layer, cfg.depth, "--top-layer");
  r.lowest_layer = probe::resolve_layer(o.lowest_layer, cfg.depth, "--lowest-layer");
  if (r.lowest_layer > r.top_layer)
    throw UsageError("--lowest-layer " + std::to_string(r.lowest_layer) + " is above --top-layer " +
                     std::to_string(r.top_layer));
  if (*o.top_k <= 0) throw UsageError("--top-k must be > 0");
  r.top_k = *o.top_k;
  r.sparsity_filter = o.sparsity_filter;

  const int64_t L0 = r.lowest_layer, L1 = r.top_layer, nl = L1 - L0 + 1, H = cfg.mlp_hidden;
  const int64_t P0 = cfg.prefix_tokens();
  at::Tensor sum = at::zeros({nl, H}, at::kDouble);
  Progress bar("find", images, "img");
  for (int64_t i = 0; i < images; i += o.batch) {
    const at::Tensor pixels = load(i, std::min(o.batch, images - i));
    const int64_t B = pixels.size(0);
    std::vector<at::Tensor> absact(static_cast<size_t>(nl)), sparse(static_cast<size_t>(nl));
    at::Tensor norms;
    nn::Hooks hooks;
    for (int64_t l = L0; l <= L1; ++l)
      hooks.add("blocks." + std::to_string(l) + ".mlp.act", [&, L0](const std::string& n, at::Tensor& a) {
        const size_t k = static_cast<size_t>(layer_of(n) - L0);
        const at::Tensor af = a.detach().to(at::kFloat);
        absact[k] = af.abs();
        // Official sparsity filter: the neuron is below 0.5 on at least half of the tokens.
        if (o.sparsity_filter) sparse[k] = af.lt(0.5).to(at::kFloat).mean(1).ge(0.5).to(at::kDouble);  // [B, H]
      });
    hooks.add("blocks." + std::to_string(r.detect_layer) + ".out",
              [&](const std::string&, at::Tensor& t) { norms = t.detach().to(at::kFloat).norm(2, -1); });
    model.forward(pixels, hooks);
    // O_i: the patches above tau (paper Algorithm 1; prefix tokens are not candidates).
    at::Tensor mask = at::zeros_like(norms);
    mask.slice(1, P0) = norms.slice(1, P0).gt(r.threshold).to(at::kFloat);
    const at::Tensor count = mask.sum(1);  // [B]
    const at::Tensor has = count.gt(0);
    r.images += B;
    r.images_with_outliers += has.sum().item<int64_t>();
    const at::Tensor w = (mask / count.clamp_min(1).unsqueeze(1)).unsqueeze(1);  // [B, 1, T]
    for (int64_t k = 0; k < nl; ++k) {
      at::Tensor s = at::bmm(w, absact[static_cast<size_t>(k)]).squeeze(1).to(at::kDouble);  // [B, H]
      if (o.sparsity_filter) s = s * sparse[static_cast<size_t>(k)];
      sum[k].add_(s.index({has}).sum(0));  // images without outliers are skipped, not counted
    }
    bar.advance(B);
  }
  bar.finish();
  if (r.images_with_outliers == 0)
    throw Error("registers find: no image has a patch with norm > " + std::to_string(std::lround(r.threshold)) +
                " at layer " + std::to_string(r.detect_layer) +
                "; lower --norm-threshold or pick another --detect-layer");
  const at::Tensor mean = (sum / static_cast<double>(r.images_with_outliers)).flatten();
  // One global ranking over all (layer, neuron) pairs of the allowed layers (paper; official code).
  const int64_t k = std::min<int64_t>(r.top_k, mean.numel());
  const auto top = at::topk(mean, k);
  const at::Tensor vals = std::get<0>(top), idx = std::get<1>(top);
  for (int64_t j = 0; j < k; ++j) {
    const int64_t flat = idx[j].item<int64_t>();
    r.ranked.push_back({L0 + flat / H, flat % H, vals[j].item<double>()});
  }
  return r;
}

nlohmann::json to_json(const FindResult& r) {
  nlohmann::json neurons = nlohmann::json::object();
  for (const auto& kv : r.neurons()) neurons[std::to_string(kv.first)] = kv.second;
  nlohmann::json ranked = nlohmann::json::array();
  for (const auto& n : r.ranked) ranked.push_back({{"layer", n.layer}, {"neuron", n.neuron}, {"score", n.score}});
  return {{"register_neurons", neurons},
          {"ranked", ranked},
          {"settings",
           {{"detect_layer", r.detect_layer},
            {"norm_threshold", r.threshold},
            {"norm_threshold_source", r.threshold_source},
            {"top_layer", r.top_layer},
            {"top_layer_source", r.top_layer_source},
            {"lowest_layer", r.lowest_layer},
            {"top_k", r.top_k},
            {"sparsity_filter", r.sparsity_filter},
            {"defaults", r.defaults_source},
            {"images", r.images},
            {"images_with_outliers", r.images_with_outliers}}}};
}

}  // namespace ss::fix
