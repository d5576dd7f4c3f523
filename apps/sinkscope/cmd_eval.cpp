// sinkscope eval backcopy MODEL: copy accuracy and BOS attention at trigger vs other positions of
// a model trained on Bigram-Backcopy (Guo et al. 2024 §2), the task that grows sinks in minutes.
#include <cstdio>

#include "commands.h"
#include "eval/backcopy_eval.h"
#include "io/atomic_file.h"
#include "train/bigram_backcopy.h"
#include "train/train_config.h"
#include "util/error.h"

namespace ss::cli {



namespace {

struct EvalCli {
  std::string model, data, out;
  int64_t n = 64, length = 128;
};

void run_backcopy(const EvalCli& o) {
  const train::TrainConfig c = training_config_of(o.data.empty() ? o.model : o.data);
  if (c.data.value("kind", std::string()) != "bigram-backcopy")
    throw Error((o.data.empty() ? o.model : o.data) + ": data kind is not bigram-backcopy");
  const train::BigramBackcopy task(train::BigramBackcopyConfig::from_json(c.data, c.file), train::Split::Validation);
  const LoadedLm lm = load_lm(o.model);
  const eval::BackcopyReport r = eval::evaluate_backcopy(*lm.model, task, o.n, o.length);
  nlohmann::json j = r.to_json();
  j["model"] = o.model;
  j["attention"] = nn::attention_variant(lm.model->config());
  std::printf("%s (%s): copy accuracy %.3f, loss trigger %.3f / other %.3f\n", o.model.c_str(),
              j["attention"].get<std::string>().c_str(), r.copy_accuracy, r.loss_trigger, r.loss_other);
  for (size_t l = 0; l < r.bos_at_other.size(); ++l)
    for (size_t h = 0; h < r.bos_at_other[l].size(); ++h)
      std::printf("  layer %zu head %zu: BOS share %.3f at other positions, %.3f at triggers%s\n", l, h,
                  r.bos_at_other[l][h], r.bos_at_trigger[l][h],
                  r.first_position ? (" (sink token: " + std::to_string(r.first_at_other[l][h]) + ")").c_str() : "");
  if (!o.out.empty()) io::write_file_atomic(o.out, j.dump(2) + "\n");
}

void add_eval_command(CLI::App& app) {
  auto* ev = app.add_subcommand("eval", "Evaluate a model on the task it was trained for");
  ev->require_subcommand(1);
  ev->footer("Example:\n  sinkscope eval backcopy models/bb-softmax --out bb-softmax.json");
  auto o = std::make_shared<EvalCli>();
  auto* bb = ev->add_subcommand("backcopy", "Bigram-Backcopy: copy accuracy and BOS attention (sinks) per head");
  bb->footer("Example:\n  sinkscope eval backcopy models/bb-softmax --out bb-softmax.json");
  bb->add_option("MODEL", o->model, "model folder written by `sinkscope train`")->required();
  bb->add_option("--data", o->data, "training config of the task (default: the model's train_config.json)");
  bb->add_option("-n", o->n, "validation sequences")->capture_default_str()->check(CLI::PositiveNumber);
  bb->add_option("--length", o->length, "tokens per sequence")->capture_default_str()->check(CLI::Range(3, 1 << 20));
  bb->add_option("--out", o->out, "report JSON");
  bb->callback([o] { run_backcopy(*o); });
}

const CommandRegistrar kRegistrar(64, add_eval_command);

}  // namespace

}  // namespace ss::cli
