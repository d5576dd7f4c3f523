#include "probe/lm_sinks.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <tuple>

#include "util/error.h"

namespace ss::probe {

namespace {

// Nested JSON arrays of a tensor of any rank (numbers as doubles).
nlohmann::json tensor_json(const at::Tensor& t) {
  if (t.dim() == 0) return t.item<double>();
  nlohmann::json a = nlohmann::json::array();
  for (int64_t i = 0; i < t.size(0); ++i) a.push_back(tensor_json(t[i]));
  return a;
}

// Running sums over the probe set; divided once at the end.
struct Sums {
  at::Tensor alpha, sink_hits, f_attn, hidden, k_norm, v_norm, cos1, cos_other, n1, n_other, sink_mass;
  std::map<std::tuple<int64_t, int64_t, int64_t>, MassiveActivation> massive;  // (layer, dim, position)
  int64_t massive_count = 0;
  std::vector<int64_t> massive_per_layer;
  std::vector<std::vector<double>> top3;
  std::vector<double> median, max_act, gate_sum, gate_below, gate_n;
  at::Tensor pending_q;  // q of the layer being run, until its k arrives (M8 needs both)
};

at::Tensor zeros(at::IntArrayRef shape) { return at::zeros(shape, at::kDouble); }

// M8: cos(q_t, k_1) and ||q_t|| ||k_1|| against the same over the other visible keys, queries t >= 2.
void accumulate_qk(Sums& s, int64_t l, const at::Tensor& q, at::Tensor k) {
  if (q.size(1) != k.size(1)) k = k.repeat_interleave(q.size(1) / k.size(1), 1);  // GQA
  const int64_t T = q.size(2);
  const at::Tensor qn = q.norm(2, -1), kn = k.norm(2, -1);        // [B, H, T]
  const at::Tensor norms = qn.unsqueeze(-1) * kn.unsqueeze(-2);    // [B, H, T, T]
  const at::Tensor cos = at::matmul(q, k.transpose(-2, -1)) / norms.clamp_min(1e-12);
  s.cos1[l] += cos.slice(2, 1).select(3, 0).mean(-1).sum(0);
  s.n1[l] += norms.slice(2, 1).select(3, 0).mean(-1).sum(0);
  // Pairs (t, s) with 2 <= s <= t (1-based): the keys other than the first that query t sees.
  const at::Tensor other = at::ones({T, T}, at::kBool).tril().logical_and(at::arange(T).unsqueeze(0) >= 1)
                               .logical_and(at::arange(T).unsqueeze(1) >= 1).to(at::kDouble);
  const double pairs = other.sum().item<double>();
  s.cos_other[l] += (cos * other).sum(at::IntArrayRef{-2, -1}).sum(0) / pairs;
  s.n_other[l] += (norms * other).sum(at::IntArrayRef{-2, -1}).sum(0) / pairs;
}

// M3 hidden norms for row `row`; M5/M6 for block outputs (layer = row - 1).
void accumulate_hidden(Sums& s, int64_t row, const at::Tensor& h, const LmSinkOptions& o) {
  s.hidden[row] += h.norm(2, -1).sum(0);
  if (row == 0) return;
  const int64_t l = row - 1, B = h.size(0);
  const at::Tensor a = h.abs();                                     // [B, T, D]
  const at::Tensor token_median = std::get<0>(a.median(-1, true));  // per token, over dims (Sun §2)
  const at::Tensor hit = (a > o.massive_abs).logical_and(a >= o.massive_ratio * token_median);
  const at::Tensor idx = hit.nonzero().contiguous();  // [N, 3] (sequence, position, dim)
  const at::Tensor vals = h.masked_select(hit).to(at::kDouble).contiguous();  // same row-major order
  const int64_t n = idx.size(0);
  s.massive_count += n;
  s.massive_per_layer[static_cast<size_t>(l)] += n;
  const int64_t* ix = idx.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t t = ix[3 * i + 1], d = ix[3 * i + 2];
    const double v = vals.data_ptr<double>()[i];
    MassiveActivation& m = s.massive[{l, d, t}];
    m.layer = l, m.dim = d, m.position = t;
    m.sequences += 1;
    m.mean_value += v;  // a sum until the end
    m.max_abs = std::max(m.max_abs, std::abs(v));
  }
  // Sun exp2: top-3 |h| and the median |h| over the whole (T, D) output of each sequence.
  const at::Tensor flat = a.reshape({B, -1});
  const at::Tensor top = std::get<0>(flat.topk(std::min<int64_t>(3, flat.size(1)), 1)).to(at::kDouble).sum(0);
  for (int64_t j = 0; j < top.size(0); ++j) s.top3[static_cast<size_t>(l)][static_cast<size_t>(j)] += top[j].item<double>();
  s.median[static_cast<size_t>(l)] += std::get<0>(flat.median(1)).to(at::kDouble).sum().item<double>();
  s.max_act[static_cast<size_t>(l)] = std::max(s.max_act[static_cast<size_t>(l)], a.max().item<double>());
}

}  // namespace

at::Tensor gu_importance(const at::Tensor& probs) {
  // Column k (0-based) is seen by the T - k queries k..T-1 (Gu §3.2; eval_sink_open_source.py).
  const int64_t T = probs.size(-1);
  if (probs.size(-2) != T) throw Error("attention probs: expected a square causal map, got " + c10::str(probs.sizes()));
  const at::Tensor seen = at::arange(T, 0, -1, probs.options().dtype(at::kDouble));
  return probs.to(at::kDouble).sum(-2) / seen;
}

double LmSinkResult::sink(int64_t k) const {
  return k >= 1 && k <= sink_rate.size(0) ? sink_rate[k - 1].item<double>() : 0.0;
}

double LmSinkResult::f_attn_mean() const { return f_attn.mean().item<double>(); }

LmSinkResult measure_lm_sinks(const nn::DecoderLM& model, const std::vector<std::vector<int64_t>>& sequences,
                              const LmSinkOptions& o) {
  if (sequences.empty()) throw UsageError("no probe sequences");
  if (o.batch <= 0) throw UsageError("--batch must be > 0, got " + std::to_string(o.batch));
  if (!(o.epsilon > 0 && o.epsilon < 1)) throw UsageError("--epsilon must be in (0, 1)");
  const int64_t T = static_cast<int64_t>(sequences[0].size());
  if (T < 2) throw UsageError("probe sequences need at least 2 tokens (got " + std::to_string(T) + ")");
  for (const auto& s : sequences)
    if (static_cast<int64_t>(s.size()) != T) throw Error("probe sequences must all have the same length");
  const nn::DecoderConfig& cfg = model.config();
  const int64_t L = cfg.layers, H = cfg.heads, S = static_cast<int64_t>(sequences.size());

  LmSinkResult r;
  r.layers = L, r.heads = H, r.seq_len = T, r.sequences = S, r.epsilon = o.epsilon;
  r.massive_abs = o.massive_abs, r.massive_ratio = o.massive_ratio;
  r.attention = nn::attention_variant(cfg);
  r.proxy = cfg.attn == nn::AttnKind::Sigmoid || cfg.attn == nn::AttnKind::Elu1;
  const bool has_sink_column = cfg.attn == nn::AttnKind::Softmax1 || cfg.attn == nn::AttnKind::SinkLogit;

  Sums s;
  s.alpha = zeros({L, H, T}), s.sink_hits = zeros({T}), s.f_attn = zeros({L, H}), s.hidden = zeros({L + 1, T});
  s.k_norm = zeros({L, T}), s.v_norm = zeros({L, T});
  s.cos1 = zeros({L, H}), s.cos_other = zeros({L, H}), s.n1 = zeros({L, H}), s.n_other = zeros({L, H});
  s.sink_mass = zeros({L, H});
  s.massive_per_layer.assign(static_cast<size_t>(L), 0);
  s.top3.assign(static_cast<size_t>(L), std::vector<double>(3, 0.0));
  s.median.assign(static_cast<size_t>(L), 0.0);
  s.max_act.assign(static_cast<size_t>(L), 0.0);

  nn::Hooks hooks;
  if (o.install) o.install(hooks);
  hooks.add("blocks.*.attn.probs", [&](const std::string& name, at::Tensor& t) {
    const int64_t l = nn::block_index(name);
    at::Tensor a = t.detach().to(at::kDouble);  // [B, H, T, T]
    if (has_sink_column) s.sink_mass[l] += (1 - a.sum(-1)).mean(-1).sum(0);
    if (r.proxy) a = a / (a.sum(-1, true) + 1e-8);  // Gu Table 6 "*": w / (sum w + 1e-8), as model_attn_sim.py
    const at::Tensor alpha = gu_importance(a);      // [B, H, T]
    s.alpha[l] += alpha.sum(0);
    s.sink_hits += (alpha > o.epsilon).to(at::kDouble).sum(at::IntArrayRef{0, 1});
    s.f_attn[l] += a.slice(2, 1).select(3, 0).mean(-1).sum(0);
  });
  hooks.add("tokens_in", [&](const std::string&, at::Tensor& t) { accumulate_hidden(s, 0, t.detach(), o); });
  hooks.add("blocks.*.out", [&](const std::string& name, at::Tensor& t) {
    accumulate_hidden(s, nn::block_index(name) + 1, t.detach(), o);
  });
  hooks.add("blocks.*.attn.q", [&](const std::string&, at::Tensor& t) { s.pending_q = t.detach().to(at::kDouble); });
  hooks.add("blocks.*.attn.k", [&](const std::string& name, at::Tensor& t) {
    const int64_t l = nn::block_index(name);
    const at::Tensor k = t.detach().to(at::kDouble);  // [B, KV, T, d]
    s.k_norm[l] += k.norm(2, -1).mean(1).sum(0);
    accumulate_qk(s, l, s.pending_q, k);
    s.pending_q = at::Tensor();
  });
  hooks.add("blocks.*.attn.v", [&](const std::string& name, at::Tensor& t) {
    s.v_norm[nn::block_index(name)] += t.detach().to(at::kDouble).norm(2, -1).mean(1).sum(0);
  });
  // Gated attention (Qiu et al.): never called for models without a gate.
  hooks.add("blocks.*.attn.gate", [&](const std::string& name, at::Tensor& t) {
    const size_t l = static_cast<size_t>(nn::block_index(name));
    if (s.gate_sum.empty()) {
      s.gate_sum.assign(static_cast<size_t>(L), 0);
      s.gate_below.assign(static_cast<size_t>(L), 0);
      s.gate_n.assign(static_cast<size_t>(L), 0);
    }
    s.gate_sum[l] += t.detach().to(at::kDouble).sum().item<double>();
    s.gate_below[l] += static_cast<double>((t.detach() < 0.1).sum().item<int64_t>());
    s.gate_n[l] += static_cast<double>(t.numel());
  });

  const at::Tensor positions = at::arange(T, at::kLong);
  at::NoGradGuard no_grad;
  for (int64_t b0 = 0; b0 < S; b0 += o.batch) {
    const int64_t n = std::min(o.batch, S - b0);
    at::Tensor ids = at::empty({n, T}, at::kLong);
    for (int64_t i = 0; i < n; ++i)
      std::copy(sequences[static_cast<size_t>(b0 + i)].begin(), sequences[static_cast<size_t>(b0 + i)].end(),
                ids[i].data_ptr<int64_t>());
    model.forward(ids, positions, nullptr, hooks);
    if (o.progress) o.progress(b0 + n);
  }

  const double Sd = static_cast<double>(S);
  r.alpha = s.alpha / Sd;
  r.sink_rate = s.sink_hits / (Sd * static_cast<double>(L * H));
  r.f_attn = s.f_attn / Sd;
  r.hidden_norm = s.hidden / Sd;
  // r^l = ||h_1|| / mean_{t != 1} ||h_t|| (Gu Figs. 7-8), on the sequence-averaged norms.
  r.norm_ratio = r.hidden_norm.select(1, 0) / r.hidden_norm.slice(1, 1).mean(1);
  r.k_norm = s.k_norm / Sd, r.v_norm = s.v_norm / Sd;
  r.cos_q_k1 = s.cos1 / Sd, r.cos_q_kother = s.cos_other / Sd, r.qk1_norm = s.n1 / Sd, r.qkother_norm = s.n_other / Sd;
  if (has_sink_column) r.sink_mass = s.sink_mass / Sd;

  r.massive_count = s.massive_count;
  r.massive_per_layer = s.massive_per_layer;
  r.massive_distinct = static_cast<int64_t>(s.massive.size());
  for (auto& kv : s.massive) {
    kv.second.mean_value /= static_cast<double>(kv.second.sequences);
    r.massive.push_back(kv.second);
  }
  // Most frequent first, then largest; ties keep (layer, dim, position) order (stable sort).
  std::stable_sort(r.massive.begin(), r.massive.end(), [](const MassiveActivation& a, const MassiveActivation& b) {
    return a.sequences != b.sequences ? a.sequences > b.sequences : a.max_abs > b.max_abs;
  });
  if (r.massive.size() > o.massive_list) r.massive.resize(o.massive_list);
  for (auto& t : s.top3)
    for (double& v : t) v /= Sd;
  r.top3 = s.top3;
  for (double& v : s.median) v /= Sd;
  r.layer_median = s.median;
  r.max_act = s.max_act;
  for (double v : r.max_act) r.m_act += v / static_cast<double>(L);
  for (size_t l = 0; l < s.gate_sum.size(); ++l) {
    r.gate_mean.push_back(s.gate_n[l] > 0 ? s.gate_sum[l] / s.gate_n[l] : 0.0);
    r.gate_below_0_1.push_back(s.gate_n[l] > 0 ? s.gate_below[l] / s.gate_n[l] : 0.0);
  }
  return r;
}

nlohmann::json to_json(const LmSinkResult& r) {
  using nlohmann::json;
  json j;
  j["layers"] = r.layers, j["heads"] = r.heads, j["seq_len"] = r.seq_len, j["sequences"] = r.sequences;
  j["attention"] = r.attention;
  j["proxy"] = r.proxy;
  j["sink"] = {{"epsilon", r.epsilon}, {"proxy", r.proxy}, {"k1", r.sink(1)}, {"k2", r.sink(2)},
               {"by_k", tensor_json(r.sink_rate)}};
  j["alpha"] = {{"proxy", r.proxy}, {"k1", tensor_json(r.alpha.select(2, 0))}, {"by_k", tensor_json(r.alpha)}};
  j["f_attn"] = {{"proxy", r.proxy}, {"mean", r.f_attn_mean()}, {"per_layer", tensor_json(r.f_attn.mean(1))},
                 {"per_head", tensor_json(r.f_attn)}};
  j["hidden_norm"] = tensor_json(r.hidden_norm);
  j["norm_ratio"] = tensor_json(r.norm_ratio);
  j["k_norm"] = tensor_json(r.k_norm);
  j["v_norm"] = tensor_json(r.v_norm);
  j["first_key"] = {{"cos_q_k1", tensor_json(r.cos_q_k1)},
                    {"cos_q_kother", tensor_json(r.cos_q_kother)},
                    {"qk1_norm", tensor_json(r.qk1_norm)},
                    {"qkother_norm", tensor_json(r.qkother_norm)}};
  json entries = json::array();
  for (const auto& m : r.massive)
    entries.push_back({{"layer", m.layer}, {"dim", m.dim}, {"position", m.position}, {"sequences", m.sequences},
                       {"mean_value", m.mean_value}, {"max_abs", m.max_abs}});
  j["massive"] = {{"abs_threshold", r.massive_abs}, {"median_ratio", r.massive_ratio}, {"count", r.massive_count},
                  {"distinct", r.massive_distinct}, {"per_layer", r.massive_per_layer}, {"entries", entries},
                  {"top3", r.top3}, {"layer_median", r.layer_median}};
  j["max_activation"] = r.max_act;
  j["m_act"] = r.m_act;
  if (!r.gate_mean.empty()) j["gate"] = {{"mean", r.gate_mean}, {"below_0_1", r.gate_below_0_1}};
  if (r.sink_mass.defined()) j["sink_mass"] = tensor_json(r.sink_mass);
  return j;
}

std::string lm_verdict(const LmSinkResult& r) {
  char b[320];
  const auto worst = std::max_element(r.max_act.begin(), r.max_act.end());
  std::snprintf(b, sizeof b,
                "Sink_1 = %.1f%% of heads (eps %.2g%s), Sink_2 = %.1f%%; F-Attn %.3f; %lld massive activations "
                "(M-Act %.1f, max %.1f at layer %lld)",
                100 * r.sink(1), r.epsilon, r.proxy ? ", proxy score" : "", 100 * r.sink(2), r.f_attn_mean(),
                static_cast<long long>(r.massive_count), r.m_act, worst == r.max_act.end() ? 0.0 : *worst,
                static_cast<long long>(worst - r.max_act.begin()));
  return b;
}

}  // namespace ss::probe
