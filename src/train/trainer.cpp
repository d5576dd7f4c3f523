#include "train/trainer.h"

#include <ATen/autocast_mode.h>

#include <chrono>
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
at::Tensor sequence_loss(const Model& m, const at::Tensor& ids, bool bf16) {
  const int64_t B = ids.size(0), T = ids.size(1) - 1;
  at::Tensor inputs = ids.narrow(1, 0, T), targets = ids.narrow(1, 1, T);
  if (m.cfg.sink_token) {
    inputs = at::cat({at::full({B, 1}, *m.cfg.sink_token, at::kLong), inputs}, 1);
    targets = at::cat({at::full({B, 1}, -100, at::kLong), targets}, 1);
  }
  at::Tensor logits;
  {
    AutocastBf16 autocast(bf16);
    logits = m.lm->forward(inputs, at::arange(inputs.size(1), at::kLong), nullptr, nn::Hooks());
  }
  return at::cross_entropy_loss(logits.reshape({-1, logits.size(-1)}).to(at::kFloat), targets.reshape(-1), {},
                                at::Reduction::Mean, -100);
}

double evaluate(const Model& m, const TokenDataset& val, const OptimConfig& o, Distributed& dist) {
  at::NoGradGuard no_grad;
  double sum = 0;
  for (int64_t e = 0; e < o.eval_batches; ++e) {
    const int64_t first = (e * dist.world() + dist.rank()) * o.batch;
    sum += sequence_loss(m, batch_ids(val, first, o.batch, o.seq_len + 1), o.bf16).item<double>();
  }
  return dist.all_reduce_sum(sum) / static_cast<double>(o.eval_batches * dist.world());
}

struct RunState {
  int64_t step = 0, tokens = 0;
  double seconds = 0;  // training time over all runs
};

void save_checkpoint(const fs::path& out, const Model& m, const AdamW& opt, const RunState& st) {
  const std::map<std::string, std::string> meta = {
      {"format", "pt"}, {"producer", "sinkscope train"}, {"step", std::to_string(st.step)}};
  std::vector<io::RawTensor> weights, moments;
  for (const auto& p : m.params) weights.push_back(nn::to_raw(p.name, p.value.detach()));
  for (const auto& [name, t] : opt.state()) moments.push_back(nn::to_raw(name, t));
  io::write_safetensors((out / "model.safetensors").string(), weights, meta);
  io::write_safetensors((out / "optimizer.safetensors").string(), moments, meta);
  io::write_file_atomic((out / "config.json").string(), m.hf.dump(2) + "\n");
  // Written last: a checkpoint counts only once its state file names its step.
  io::write_file_atomic((out / "trainer_state.json").string(),
                        nlohmann::json{{"step", st.step}, {"tokens", st.tokens}, {"seconds", st.seconds}}.dump(2) + "\n");
}

std::string file_step(const fs::path& file) {
  const auto f = io::SafetensorsFile::open(file.string());
  const auto it = f.metadata().find("step");
  return it == f.metadata().end() ? "?" : it->second;
}

RunState load_checkpoint(const fs::path& out, const TrainConfig& c, Model& m, AdamW& opt) {
  const fs::path state_file = out / "trainer_state.json";
  if (!fs::exists(state_file)) throw Error(state_file.string() + ": no checkpoint to resume from");
  const nlohmann::json saved_config = io::read_json_file((out / "train_config.json").string());
  if (saved_config != c.to_json())
    throw Error((out / "train_config.json").string() + ": the run in this folder used another configuration; "
                "resume with the same config or choose another --out");
  const nlohmann::json s = io::read_json_file(state_file.string());
  RunState st;
  st.step = s.at("step").get<int64_t>();
  st.tokens = s.at("tokens").get<int64_t>();
  st.seconds = s.at("seconds").get<double>();
  for (const char* f : {"model.safetensors", "optimizer.safetensors"})
    if (file_step(out / f) != std::to_string(st.step))
      throw Error((out / f).string() + ": holds step " + file_step(out / f) + ", trainer_state.json says " +
                  std::to_string(st.step) + " (an interrupted checkpoint write?)");
  const nn::StateDict w = nn::load_state_dict(out / "model.safetensors");
  at::NoGradGuard no_grad;
  for (auto& p : m.params) {
    const auto it = w.find(p.name);
    if (it == w.end() || !it->second.sizes().equals(p.value.sizes()))
      throw Error((out / "model.safetensors").string() + ": tensor " + p.name + " missing or mis-shaped");
    p.value.copy_(it->second);
  }
  opt.load_state(nn::load_state_dict(out / "optimizer.safetensors"), st.step);
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
  } else if (fs::exists(out / "trainer_state.json")) {
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
      r.val_loss = evaluate(m, *val, opt_cfg, dist);
      write_row({{"step", st.step}, {"val_loss", r.val_loss}});
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
    r.val_loss = evaluate(m, *val, opt_cfg, dist);
    write_row({{"step", st.step}, {"val_loss", r.val_loss}});
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
