#include "train/train_config.h"

#include <cmath>
#include <filesystem>

#include "io/json_strict.h"
#include "io/yaml.h"
#include "train/dataset.h"
#include "util/error.h"

namespace ss::train {

namespace {

constexpr double kPi = 3.14159265358979323846;

const std::vector<std::string> kModelKeys = {"dim",        "layers",        "heads",           "kv_heads",
                                             "ffn_hidden", "max_positions", "rope_theta",      "norm_eps",
                                             "tied_embeddings", "attention", "sigmoid_bias"};

OptimConfig read_optim(const nlohmann::json& j, const std::string& file) {
  ConfigReader r(j, file, "train");
  r.only({"steps", "batch", "seq_len", "accum", "lr", "min_lr", "warmup", "weight_decay", "beta1", "beta2", "eps",
          "grad_clip", "dtype", "eval_every", "eval_batches", "checkpoint_every", "log_every", "seed"});
  OptimConfig o;
  const int64_t big = int64_t{1} << 40;
  o.steps = r.integer("steps", o.steps, 1, big);
  o.batch = r.integer("batch", o.batch, 1, 1 << 20);
  o.seq_len = r.integer("seq_len", o.seq_len, 1, 1 << 20);
  o.accum = r.integer("accum", o.accum, 1, 1 << 20);
  o.lr = r.number("lr", o.lr, 0, 10);
  o.min_lr = r.number("min_lr", std::min(o.min_lr, o.lr), 0, o.lr);
  o.warmup = r.integer("warmup", o.warmup, 0, big);
  o.weight_decay = r.number("weight_decay", o.weight_decay, 0, 100);
  o.beta1 = r.number("beta1", o.beta1, 0, 0.999999);
  o.beta2 = r.number("beta2", o.beta2, 0, 0.999999999);
  o.eps = r.number("eps", o.eps, 1e-30, 1);
  o.grad_clip = r.number("grad_clip", o.grad_clip, 0, 1e9);  // 0 = no clipping
  if (const auto* d = r.find("dtype")) {
    if (!d->is_string() || (*d != "f32" && *d != "bf16")) r.fail("dtype", "\"f32\" or \"bf16\", got " + d->dump());
    o.bf16 = *d == "bf16";
  }
  o.eval_every = r.integer("eval_every", o.eval_every, 0, big);  // 0 = only at the end
  o.eval_batches = r.integer("eval_batches", o.eval_batches, 1, 1 << 20);
  o.checkpoint_every = r.integer("checkpoint_every", o.checkpoint_every, 0, big);
  o.log_every = r.integer("log_every", o.log_every, 1, big);
  o.seed = r.seed("seed", o.seed);
  return o;
}

// Text data paths are relative to the config file; train_config.json (saved beside the model) and
// `sinkscope data/eval` read them from elsewhere, so they are kept absolute from here on.
void absolute_data_paths(nlohmann::json& data, const std::string& file) {
  if (!data.is_object() || data.value("kind", std::string()) != "text") return;
  const std::filesystem::path base = std::filesystem::absolute(std::filesystem::path(file).parent_path());
  auto fix = [&base](nlohmann::json& v) {
    if (v.is_string() && v != "byte" && std::filesystem::path(v.get<std::string>()).is_relative())
      v = (base / v.get<std::string>()).lexically_normal().string();
  };
  if (data.contains("files") && data["files"].is_array())
    for (auto& f : data["files"]) fix(f);
  if (data.contains("tokenizer")) fix(data["tokenizer"]);
}

}  // namespace

TrainConfig TrainConfig::from_json(const nlohmann::json& j, const std::string& file) {
  if (!j.is_object()) throw Error(file + ": expected an object with \"model\", \"data\" and \"train\"");
  ConfigReader top(j, file, "config");
  top.only({"model", "data", "train"});
  for (const char* section : {"model", "data", "train"})
    if (!top.find(section)) throw Error(file + ": missing the \"" + section + "\" object");
  TrainConfig c;
  c.file = file;
  c.model = j["model"];
  c.data = j["data"];
  absolute_data_paths(c.data, file);
  c.optim = read_optim(j["train"], file);
  ConfigReader m(c.model, file, "model");
  m.only(kModelKeys);
  for (const char* key : {"dim", "layers", "heads", "ffn_hidden"})
    if (!m.find(key)) m.fail(key, "a positive integer (required)");
  if (const auto* a = m.find("attention"); a && !a->is_string()) m.fail("attention", "a variant name");
  // Checks the model part now (a stand-in vocabulary until the data is read), not after data loading.
  hf_config_for(c, 2, std::nullopt);
  if (c.optim.seq_len + 1 > m.integer("max_positions", c.optim.seq_len + 1, 1, 1 << 24))
    m.fail("max_positions", "at least train.seq_len + 1 (" + std::to_string(c.optim.seq_len + 1) + ")");
  return c;
}

TrainConfig TrainConfig::from_file(const std::string& path) {
  const std::string ext = std::filesystem::path(path).extension().string();
  if (ext == ".yaml" || ext == ".yml") return from_json(io::read_yaml_file(path), path);
  return from_json(io::read_json_file(path), path);
}

nlohmann::json TrainConfig::to_json() const {
  const OptimConfig& o = optim;
  return {{"model", model},
          {"data", data},
          {"train",
           {{"steps", o.steps}, {"batch", o.batch}, {"seq_len", o.seq_len}, {"accum", o.accum}, {"lr", o.lr},
            {"min_lr", o.min_lr}, {"warmup", o.warmup}, {"weight_decay", o.weight_decay}, {"beta1", o.beta1},
            {"beta2", o.beta2}, {"eps", o.eps}, {"grad_clip", o.grad_clip}, {"dtype", o.bf16 ? "bf16" : "f32"},
            {"eval_every", o.eval_every}, {"eval_batches", o.eval_batches},
            {"checkpoint_every", o.checkpoint_every}, {"log_every", o.log_every}, {"seed", o.seed}}}};
}

nlohmann::json hf_config_for(const TrainConfig& c, int64_t data_vocab, std::optional<int64_t> bos) {
  ConfigReader m(c.model, c.file, "model");
  const std::string variant = c.model.value("attention", std::string("softmax"));
  const bool sink_token = variant == "sink_token";
  const int64_t context = c.optim.seq_len + (sink_token ? 1 : 0);
  const int64_t heads = m.integer("heads", 1, 1, 4096);
  nlohmann::json hf = {{"model_type", "llama"},
                       {"architectures", {"LlamaForCausalLM"}},
                       {"vocab_size", data_vocab + (sink_token ? 1 : 0)},
                       {"hidden_size", m.integer("dim", 64, 1, 65536)},
                       {"num_hidden_layers", m.integer("layers", 1, 1, 1024)},
                       {"num_attention_heads", heads},
                       {"num_key_value_heads", m.integer("kv_heads", heads, 1, 4096)},
                       {"intermediate_size", m.integer("ffn_hidden", 256, 1, 1 << 20)},
                       {"max_position_embeddings", m.integer("max_positions", context, 1, 1 << 24)},
                       {"rope_theta", m.number("rope_theta", 10000.0, 1, 1e12)},
                       {"rms_norm_eps", m.number("norm_eps", 1e-5, 0, 1)},
                       {"tie_word_embeddings", m.boolean("tied_embeddings", false)},
                       {"hidden_act", "silu"},
                       {"torch_dtype", "float32"},
                       {"bos_token_id", bos ? nlohmann::json(*bos) : nlohmann::json(nullptr)}};
  nn::DecoderConfig d = nn::decoder_config_from_hf(hf, c.file);
  if (sink_token) d.sink_token = static_cast<int32_t>(data_vocab);
  d.sigmoid_bias = m.number("sigmoid_bias", -std::log(static_cast<double>(context)), -1e4, 1e4);
  try {
    nn::set_attention_variant(d, variant);
  } catch (const UsageError&) {
    m.fail("attention", "softmax, softmax1, sink_logit, sigmoid, elu1, gated_elementwise, gated_headwise or "
                        "sink_token, got \"" + variant + "\"");
  }
  nn::write_attention_fields(d, hf);
  return hf;
}

double learning_rate(const OptimConfig& o, int64_t step) {
  if (step < o.warmup) return o.lr * static_cast<double>(step + 1) / static_cast<double>(o.warmup);
  const int64_t span = std::max<int64_t>(1, o.steps - 1 - o.warmup);
  const double progress = std::min(1.0, static_cast<double>(step - o.warmup) / static_cast<double>(span));
  return o.min_lr + 0.5 * (o.lr - o.min_lr) * (1 + std::cos(kPi * progress));
}

}  // namespace ss::train
