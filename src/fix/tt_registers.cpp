#include "fix/tt_registers.h"

#include "util/error.h"

namespace ss::fix {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Paper Algorithm 2 on one layer's activations a [B, T, H]; the registers are the last R tokens.
at::Tensor edit_paper(at::Tensor& a, const at::Tensor& idx, int64_t R) {
  const int64_t T = a.size(1);
  const at::Tensor sel = a.index_select(2, idx);        // [B, T, k]
  const at::Tensor mx = std::get<0>(sel.max(1, true));  // [B, 1, k]: per image, per neuron
  at::Tensor edited = at::zeros_like(sel);              // every token, CLS included, -> 0
  edited.slice(1, T - R) = mx.expand({sel.size(0), R, sel.size(2)});
  return a.index_copy_(2, idx, edited);
}

// The official hook: one signed max per layer and image, CLS untouched, tokens [1, T-R) zeroed.
at::Tensor edit_repo(at::Tensor& a, const at::Tensor& idx, int64_t R) {
  const int64_t B = a.size(0), T = a.size(1);
  const at::Tensor sel = a.index_select(2, idx);  // [B, T, k]
  const at::Tensor flat = sel.reshape({B, -1});
  const at::Tensor mx = std::get<0>(flat.max(1)), mn = std::get<0>(flat.min(1));
  const at::Tensor v = at::where(mx.abs() >= mn.abs(), mx, mn).view({B, 1, 1});  // sign_max
  at::Tensor edited = sel.clone();
  edited.slice(1, 1, T - R).zero_();
  edited.slice(1, T - R) = v.expand({B, R, sel.size(2)});
  return a.index_copy_(2, idx, edited);
}

}  // namespace

TtMode tt_mode_from_name(const std::string& name) {
  if (name == "paper") return TtMode::Paper;
  if (name == "repo") return TtMode::Repo;
  throw UsageError("--tt-mode '" + name + "': expected paper or repo");
}

void install_tt_registers(nn::Hooks& hooks, const nn::VisionTransformer& model, const NeuronMap& neurons,
                          const TtRegisterOptions& opts) {
  const nn::VitConfig& cfg = model.config();
  const int64_t R = opts.num_registers;
  if (R < 1 || R > 64) throw UsageError("--num-registers must be in [1, 64], got " + std::to_string(R));
  for (const auto& kv : neurons) {
    if (kv.first < 0 || kv.first >= cfg.depth)
      throw Error("register neurons: layer " + std::to_string(kv.first) + " out of range");
    for (int64_t n : kv.second)
      if (n < 0 || n >= cfg.mlp_hidden) throw Error("register neurons: neuron " + std::to_string(n) + " out of range");
  }
  at::Tensor init = at::zeros({cfg.dim});
  if (cfg.pre_norm) {
    const nn::StateDict sd = model.state_dict();
    init = sd.at("ln_pre.bias").to(at::kFloat).clone();
  }
  hooks.add("tokens_in", [init, R](const std::string&, at::Tensor& x) {
    const int64_t B = x.size(0), D = x.size(2);
    x = at::cat({x, init.to(x.scalar_type()).view({1, 1, D}).expand({B, R, D})}, 1);
  });
  for (const auto& kv : neurons) {
    const at::Tensor idx = at::tensor(kv.second, at::kLong);
    const TtMode mode = opts.mode;
    hooks.add("blocks." + std::to_string(kv.first) + ".mlp.act", [idx, R, mode](const std::string&, at::Tensor& a) {
      a = mode == TtMode::Paper ? edit_paper(a, idx, R) : edit_repo(a, idx, R);
    });
  }
}

at::Tensor strip_tt_registers(const std::string& name, const at::Tensor& t, int64_t R) {
  if (R <= 0 || !t.defined()) return t;
  auto drop = [R](const at::Tensor& x, int64_t dim) { return x.slice(dim, 0, x.size(dim) - R); };
  if (ends_with(name, ".attn.probs")) return drop(drop(t, 2), 3).contiguous();
  if (ends_with(name, ".attn.q") || ends_with(name, ".attn.k") || ends_with(name, ".attn.v"))
    return drop(t, 2).contiguous();
  if (name == "tokens_in" || name == "final_norm" || name == "token_norms" || name.rfind("blocks.", 0) == 0)
    return drop(t, name == "token_norms" ? 2 : 1).contiguous();
  return t;  // pixel_values, pos_embed, embeddings (before the registers), image_embeds
}

}  // namespace ss::fix
