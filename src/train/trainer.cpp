#include "train/trainer.h"

#include <ATen/autocast_mode.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>

#include "io/atomic_file.h"
#include "io/json_strict.h"
#include "io/safetensors.h"
#include "nn/decoder.h"
#include "nn/decoder_init.h"
#include "nn/decoder_loader.h"
#include "train/adamw.h"
#include "train/dataset.h"
#include "train/model_card.h"
#include "util/error.h"
#include "util/progress.h"

namespace ss::train {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// The model being trained: its parameters (HF names, f32 leaves) and the LM engine over them
// (canonical names alias the same tensors, so the engine's forward pass is differentiable).
struct Model {
  nlohmann::json hf;
  nn::DecoderConfig cfg;
  std::vector<Param> params;
  std::unique_ptr<nn::DecoderLM> lm;
};

Model build_model(const TrainConfig& c, const TokenDataset& data) {
  Model m;
  m.hf = hf_config_for(c, data.vocab_size(), data.bos());
  nn::StateDict w = nn::random_decoder_weights(m.hf, c.optim.seed);
  for (auto& [name, t] : w) {
    t = t.contiguous().requires_grad_(true);
    // Decay matrices and embeddings; not norm weights or per-head sink logits (nanoGPT's rule).
    m.params.push_back({name, t, t.dim() >= 2});
  }
  const nn::DecoderCheckpoint ck = nn::decoder_from_hf(m.hf, w, c.file);
  m.cfg = ck.config;
  m.lm = std::make_unique<nn::DecoderLM>(ck.config, ck.weights);
  return m;
}

// Mixed precision as torch.autocast("cpu", bfloat16): matmuls in bf16, the rest in f32.
class AutocastBf16 {
 public:
  explicit AutocastBf16(bool on) : on_(on) {
    if (!on_) return;
    at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
    at::autocast::set_cpu_enabled(true);
  }
  ~AutocastBf16() {
    if (!on_) return;
    at::autocast::set_cpu_enabled(false);
    at::autocast::clear_cache();
  }

 private:
  bool on_;
};

at::Tensor batch_ids(const TokenDataset& d, int64_t first, int64_t batch, int64_t length) {
  std::vector<int64_t> ids;
  ids.reserve(static_cast<size_t>(batch * length));
  for (int64_t b = 0; b < batch; ++b) {
    const std::vector<int64_t> s = d.sequence(first + b, length);
    ids.insert(ids.end(), s.begin(), s.end());
  }
  return at::tensor(ids, at::kLong).view({batch, length});
}

// Mean next-token cross-entropy of sequences `ids` [B, T+1]. With a sink token it is prepended
// to the inputs and its own prediction is not scored, so every variant is scored on the same targets.
at::Tensor sequence_loss(const Model& m, const at::Tensor& ids, bool bf16, const nn::Hooks& hooks = nn::Hooks()) {
  const int64_t B = ids.size(0), T = ids.size(1) - 1;
  at::Tensor inputs = ids.narrow(1, 0, T), targets = ids.narrow(1, 1, T);
  if (m.cfg.sink_token) {
    inputs = at::cat({at::full({B, 1}, *m.cfg.sink_token, at::kLong), inputs}, 1);
    targets = at::cat({at::full({B, 1}, -100, at::kLong), targets}, 1);
  }
  at::Tensor logits;
  {
    AutocastBf16 autocast(bf16);
    logits = m.lm->forward(inputs, at::arange(inputs.size(1), at::kLong), nullptr, hooks);
  }
  return at::cross_entropy_loss(logits.reshape({-1, logits.size(-1)}).to(at::kFloat), targets.reshape(-1), {},
                                at::Reduction::Mean, -100);
}

struct Evaluation {
  double loss = 0;
  // Per layer: attention on input position 0 (BOS, the first token, or the sink token), mean over
  // heads and queries t >= 1 (Qiu et al.'s F-Attn), so metrics.jsonl shows a sink as it grows
  // (Guo et al. 2024 follow the same quantity through training). Sigmoid / ELU+1 weights are
  // normalised per row first (Gu et al. Table 6 proxy).
  std::vector<double> first_attn;
};

Evaluation evaluate(const Model& m, const TokenDataset& val, const OptimConfig& o, Distributed& dist) {
  at::NoGradGuard no_grad;
  const bool unnormalised = m.cfg.attn == nn::AttnKind::Sigmoid || m.cfg.attn == nn::AttnKind::Elu1;
  std::vector<double> first(static_cast<size_t>(m.cfg.layers), 0.0);
  nn::Hooks hooks;
  hooks.add("blocks.*.attn.probs", [&](const std::string& name, at::Tensor& p) {  // p: [B, H, T, T]
    const auto layer = static_cast<size_t>(nn::block_index(name));
    at::Tensor rows = p.narrow(2, 1, p.size(2) - 1).to(at::kFloat);
    if (unnormalised) rows = rows / rows.sum(-1, true).clamp_min(1e-12);
    first[layer] += rows.select(3, 0).mean().item<double>();
  });
  double sum = 0;
  for (int64_t e = 0; e < o.eval_batches; ++e) {
    const int64_t start = (e * dist.world() + dist.rank()) * o.batch;
    sum += sequence_loss(m, batch_ids(val, start, o.batch, o.seq_len + 1), o.bf16, hooks).item<double>();
  }
  const double n = static_cast<double>(o.eval_batches * dist.world());
  Evaluation r;
  r.loss = dist.all_reduce_sum(sum) / n;
  for (double f : first) r.first_attn.push_back(dist.all_reduce_sum(f) / n);
  return r;
}

struct RunState {
  int64_t step = 0, tokens = 0;
  double seconds = 0;  // training time over all runs
};

// Everything a resume needs - weights, AdamW moments, step, tokens, time - is one file replaced by
// one rename, so a run killed at any instant, even in the middle of a checkpoint, resumes from a
// consistent state (the previous checkpoint or this one). The exported model (model.safetensors,
// config.json) and the readable trainer_state.json follow it.
constexpr const char* kResumeFile = "resume.safetensors";

void save_checkpoint(const fs::path& out, const Model& m, const AdamW& opt, const RunState& st) {
  std::vector<io::RawTensor> weights, state;
  for (const auto& p : m.params) weights.push_back(nn::to_raw(p.name, p.value.detach()));
  state = weights;
  for (const auto& [name, t] : opt.state()) state.push_back(nn::to_raw(name, t));
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.17g", st.seconds);
  io::write_safetensors((out / kResumeFile).string(), state,
                        {{"producer", "sinkscope train"}, {"step", std::to_string(st.step)},
                         {"tokens", std::to_string(st.tokens)}, {"seconds", seconds}});
  io::write_safetensors((out / "model.safetensors").string(), weights,
                        {{"format", "pt"}, {"producer", "sinkscope train"}, {"step", std::to_string(st.step)}});
  io::write_file_atomic((out / "config.json").string(), m.hf.dump(2) + "\n");
  io::write_file_atomic((out / "trainer_state.json").string(),
                        nlohmann::json{{"step", st.step}, {"tokens", st.tokens}, {"seconds", st.seconds}}.dump(2) + "\n");
}

RunState load_checkpoint(const fs::path& out, const TrainConfig& c, Model& m, AdamW& opt) {
  const fs::path file = out / kResumeFile;
  if (!fs::exists(file)) throw Error(file.string() + ": no checkpoint to resume from");
  const nlohmann::json saved_config = io::read_json_file((out / "train_config.json").string());
  if (saved_config != c.to_json())
    throw Error((out / "train_config.json").string() + ": the run in this folder used another configuration; "
                "resume with the same config or choose another --out");
  RunState st;
  {
    const auto f = io::SafetensorsFile::open(file.string());
    auto number = [&](const char* key) {
      const auto it = f.metadata().find(key);
      char* end = nullptr;
      const double v = it == f.metadata().end() ? -1 : std::strtod(it->second.c_str(), &end);
      if (!(v >= 0 && v <= 9e15) || end == nullptr || *end != '\0')  // 9e15 < 2^53: exact as a double
        throw Error(file.string() + ": metadata '" + key + "' missing or not a number in 0..9e15");
      return v;
    };
    st.step = static_cast<int64_t>(number("step"));
    st.tokens = static_cast<int64_t>(number("tokens"));
    st.seconds = number("seconds");
  }
  const nn::StateDict state = nn::load_state_dict(file);
  at::NoGradGuard no_grad;
  for (auto& p : m.params) {
    const auto it = state.find(p.name);
    if (it == state.end() || !it->second.sizes().equals(p.value.sizes()))
      throw Error(file.string() + ": tensor " + p.name + " missing or mis-shaped");
    p.value.copy_(it->second);
  }
  opt.load_state(state, st.step);
  return st;
}

// Keeps the log rows of steps <= `step`: a resumed run appends exactly what the unbroken run wrote.
void truncate_log(const fs::path& log, int64_t step) {
  std::ifstream in(log);
  std::string line, kept;
  while (std::getline(in, line)) {
    const auto row = nlohmann::json::parse(line, nullptr, false);
    if (row.is_object() && row.value("step", int64_t{0}) <= step) kept += line + "\n";
  }
  io::write_file_atomic(log.string(), kept);
}

}  // namespace

TrainResult train_lm(const TrainConfig& c, const TrainOptions& o, Distributed& dist) {
  const OptimConfig& opt_cfg = c.optim;
  const fs::path out = o.out;
  const auto train = make_dataset(c.data, Split::Train, c.file);
  const auto val = make_dataset(c.data, Split::Validation, c.file);
  Model m = build_model(c, *train);
  {
    std::vector<at::Tensor> values;
    for (auto& p : m.params) values.push_back(p.value);
    dist.broadcast(values);  // every rank starts from rank 0's weights
  }
  AdamW opt(m.params, opt_cfg.beta1, opt_cfg.beta2, opt_cfg.eps, opt_cfg.weight_decay);
  RunState st;
  if (o.resume) {
    st = load_checkpoint(out, c, m, opt);
  } else if (fs::exists(out / kResumeFile)) {
    throw Error(out.string() + ": already holds a training run; pass --resume to continue it or choose another --out");
  }
  const fs::path log_path = out / "metrics.jsonl";
  std::ofstream log;
  if (dist.is_main()) {
    fs::create_directories(out);
    if (o.resume) {
      truncate_log(log_path, st.step);
    } else {
      io::write_file_atomic((out / "train_config.json").string(), c.to_json().dump(2) + "\n");
      write_tokenizer_files(train->describe(), out);
    }
    log.open(log_path, o.resume ? std::ios::app : std::ios::trunc);
    if (!log) throw Error(log_path.string() + ": cannot write");
  }
  auto write_row = [&](const nlohmann::json& row) {
    if (!dist.is_main()) return;
    log << row.dump() << "\n";
    log.flush();
  };

  TrainResult r;
  const int64_t step_tokens = opt_cfg.batch * opt_cfg.seq_len * opt_cfg.accum * dist.world();
  std::optional<Progress> bar;  // rank 0 only
  if (o.progress && dist.is_main()) bar.emplace("train", opt_cfg.steps, "step", st.step);
  double run_seconds = 0;
  int64_t run_steps = 0;
  while (st.step < opt_cfg.steps) {
    if (o.stop_at && st.step >= *o.stop_at) break;
    bool stop = o.interrupt && o.interrupt->load();
    if (dist.enabled()) stop = dist.all_reduce_sum(stop ? 1.0 : 0.0) > 0;  // every rank stops together
    if (stop) {
      r.interrupted = true;
      break;
    }
    const auto t0 = Clock::now();
    const int64_t s = st.step;
    const double lr = learning_rate(opt_cfg, s);
    double loss_sum = 0;
    for (int64_t micro = 0; micro < opt_cfg.accum; ++micro) {
      const int64_t first = ((s * opt_cfg.accum + micro) * dist.world() + dist.rank()) * opt_cfg.batch;
      at::Tensor loss = sequence_loss(m, batch_ids(*train, first, opt_cfg.batch, opt_cfg.seq_len + 1), opt_cfg.bf16);
      loss = loss / static_cast<double>(opt_cfg.accum);
      loss.backward();
      loss_sum += loss.item<double>();
    }
    if (dist.enabled()) {
      std::vector<at::Tensor> grads = opt.grads();
      dist.all_reduce_mean(grads);
    }
    const double loss = dist.all_reduce_sum(loss_sum) / dist.world();
    if (!std::isfinite(loss)) throw Error("training diverged: loss is " + std::to_string(loss) + " at step " + std::to_string(s + 1));
    const double grad_norm = opt.clip_grad_norm(opt_cfg.grad_clip);
    opt.step(lr);
    opt.zero_grad();
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    run_seconds += secs;
    ++run_steps;
    st.seconds += secs;
    st.tokens += step_tokens;
    st.step = s + 1;
    r.last_loss = loss;
    const double tps = static_cast<double>(run_steps * step_tokens) / std::max(run_seconds, 1e-9);
    if (st.step % opt_cfg.log_every == 0 || st.step == opt_cfg.steps)
      write_row({{"step", st.step}, {"loss", loss}, {"lr", lr}, {"grad_norm", grad_norm}, {"tokens", st.tokens},
                 {"tokens_per_s", tps}, {"elapsed_s", st.seconds}});
    if (opt_cfg.eval_every > 0 && st.step % opt_cfg.eval_every == 0 && st.step != opt_cfg.steps) {
      const Evaluation e = evaluate(m, *val, opt_cfg, dist);
      r.val_loss = e.loss;
      write_row({{"step", st.step}, {"val_loss", e.loss}, {"first_attn", e.first_attn}});
    }
    if (opt_cfg.checkpoint_every > 0 && st.step % opt_cfg.checkpoint_every == 0 && dist.is_main())
      save_checkpoint(out, m, opt, st);
    if (bar) {
      char status[96];
      std::snprintf(status, sizeof status, "loss %.4f  %.0f tok/s", loss, tps);
      bar->set_status(status);
      bar->advance();
    }
  }
  if (bar) bar->finish();
  if (st.step == opt_cfg.steps) {
    const Evaluation e = evaluate(m, *val, opt_cfg, dist);
    r.val_loss = e.loss;
    write_row({{"step", st.step}, {"val_loss", e.loss}, {"first_attn", e.first_attn}});
  }
  if (dist.is_main()) {
    save_checkpoint(out, m, opt, st);
    write_model_card(out, c, m.hf, train->describe(), {st.step, st.tokens, st.seconds, r.last_loss, r.val_loss});
  }
  dist.barrier();
  r.steps = st.step;
  r.tokens_per_s = run_seconds > 0 ? static_cast<double>(run_steps * step_tokens) / run_seconds : 0;
  return r;
}

}  // namespace ss::train
