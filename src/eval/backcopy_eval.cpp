#include "eval/backcopy_eval.h"

#include "util/error.h"

namespace ss::eval {

namespace {

using Grid = std::vector<std::vector<double>>;

Grid zeros(int64_t layers, int64_t heads) { return Grid(layers, std::vector<double>(heads, 0.0)); }

nlohmann::json grid_json(const Grid& g) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& row : g) a.push_back(row);
  return a;
}

double grid_mean(const Grid& g) {
  double s = 0;
  size_t n = 0;
  for (const auto& row : g)
    for (double x : row) {
      s += x;
      ++n;
    }
  return n ? s / static_cast<double>(n) : 0;
}

}  // namespace

nlohmann::json BackcopyReport::to_json() const {
  return {{"sequences", sequences},
          {"length", length},
          {"first_position_is_sink_token", first_position == 1},
          {"copy_accuracy", copy_accuracy},
          {"loss_trigger", loss_trigger},
          {"loss_other", loss_other},
          {"bos_share_other_mean", grid_mean(bos_at_other)},
          {"bos_share_trigger_mean", grid_mean(bos_at_trigger)},
          {"first_share_other_mean", grid_mean(first_at_other)},
          {"bos_share_at_other", grid_json(bos_at_other)},
          {"bos_share_at_trigger", grid_json(bos_at_trigger)},
          {"first_share_at_other", grid_json(first_at_other)},
          {"first_share_at_trigger", grid_json(first_at_trigger)}};
}

BackcopyReport evaluate_backcopy(const nn::DecoderLM& model, const train::BigramBackcopy& data, int64_t n,
                                 int64_t length) {
  if (n <= 0 || length < 3) throw UsageError("backcopy evaluation: need n > 0 sequences of length >= 3");
  const nn::DecoderConfig& cfg = model.config();
  if (cfg.vocab < data.vocab_size())
    throw Error("model vocabulary " + std::to_string(cfg.vocab) + " is smaller than the task's " +
                std::to_string(data.vocab_size()));
  const std::vector<int64_t> prefix = nn::model_prefix(cfg);
  const int64_t off = static_cast<int64_t>(prefix.size());
  const bool unnormalised = cfg.attn == nn::AttnKind::Sigmoid || cfg.attn == nn::AttnKind::Elu1;
  BackcopyReport r;
  r.sequences = n;
  r.length = length;
  r.first_position = off;
  r.first_at_trigger = r.first_at_other = r.bos_at_trigger = r.bos_at_other = zeros(cfg.layers, cfg.heads);
  int64_t n_trig = 0, n_other = 0, correct = 0;
  at::NoGradGuard no_grad;
  for (int64_t i = 0; i < n; ++i) {
    const std::vector<int64_t> seq = data.sequence(i, length);
    const std::vector<uint8_t> trig = data.trigger_mask(seq);
    std::vector<int64_t> ids = prefix;
    ids.insert(ids.end(), seq.begin(), seq.end());
    const int64_t T = static_cast<int64_t>(ids.size());
    nn::Hooks hooks;
    std::vector<at::Tensor> probs(static_cast<size_t>(cfg.layers));
    hooks.add("blocks.*.attn.probs", [&](const std::string& name, at::Tensor& p) {
      const int64_t layer = nn::block_index(name);
      at::Tensor a = p[0];  // [H, T, T]
      if (unnormalised) a = a / a.sum(-1, true).clamp_min(1e-12);
      probs[static_cast<size_t>(layer)] = a;
    });
    const at::Tensor logits = model.forward(at::tensor(ids, at::kLong).unsqueeze(0), at::arange(T, at::kLong), nullptr, hooks)[0];
    const at::Tensor logp = at::log_softmax(logits.to(at::kFloat), -1).contiguous();
    const at::Tensor pred = logits.argmax(-1).contiguous();
    // Attention columns of position 0 and of BOS, per layer: [H, T] each.
    std::vector<at::Tensor> first_col, bos_col;
    for (const auto& p : probs) {
      first_col.push_back(p.select(2, 0).to(at::kFloat).contiguous());
      bos_col.push_back(p.select(2, off).to(at::kFloat).contiguous());
    }
    const auto lp = logp.accessor<float, 2>();
    const auto pr = pred.accessor<int64_t, 1>();
    // Position t of `seq` is input position t + off; it predicts seq[t + 1]. BOS (t = 0) attends
    // only to itself (and the sink token), so it is scored in neither group.
    for (int64_t t = 1; t + 1 < length; ++t) {
      const bool is_trig = trig[static_cast<size_t>(t)] != 0;
      const int64_t next = seq[static_cast<size_t>(t + 1)];
      (is_trig ? r.loss_trigger : r.loss_other) -= lp[t + off][next];
      if (is_trig) correct += pr[t + off] == next;
      for (int64_t l = 0; l < cfg.layers; ++l) {
        const auto fc = first_col[static_cast<size_t>(l)].accessor<float, 2>();
        const auto bc = bos_col[static_cast<size_t>(l)].accessor<float, 2>();
        for (int64_t h = 0; h < cfg.heads; ++h) {
          (is_trig ? r.first_at_trigger : r.first_at_other)[l][h] += fc[h][t + off];
          (is_trig ? r.bos_at_trigger : r.bos_at_other)[l][h] += bc[h][t + off];
        }
      }
      (is_trig ? n_trig : n_other)++;
    }
  }
  auto divide = [](Grid& g, int64_t count) {
    for (auto& row : g)
      for (double& x : row) x /= static_cast<double>(std::max<int64_t>(count, 1));
  };
  divide(r.first_at_trigger, n_trig);
  divide(r.bos_at_trigger, n_trig);
  divide(r.first_at_other, n_other);
  divide(r.bos_at_other, n_other);
  r.loss_trigger /= static_cast<double>(std::max<int64_t>(n_trig, 1));
  r.loss_other /= static_cast<double>(std::max<int64_t>(n_other, 1));
  r.copy_accuracy = static_cast<double>(correct) / static_cast<double>(std::max<int64_t>(n_trig, 1));
  return r;
}

}  // namespace ss::eval
