// `sinkscope train lm` as users run it: data-parallel over two processes equals one process with
// the same global batch, Ctrl-C leaves a checkpoint (exit 130) that --resume finishes, bad configs
// give one-line errors; `data` and `eval backcopy` on the result.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "cli/cli_runner.h"
#include "common/assets.h"
#include "train/metrics_log.h"
#include "train/launch_ranks.h"

namespace ss::test {
namespace {

namespace fs = std::filesystem;

fs::path write_config(const fs::path& dir, int64_t batch, int64_t steps, int64_t dim = 32, int64_t checkpoint_every = 0) {
  fs::create_directories(dir);
  const nlohmann::json j = {
      {"model", {{"dim", dim}, {"layers", 2}, {"heads", 2}, {"ffn_hidden", 2 * dim}}},
      {"data", {{"kind", "bigram-backcopy"}, {"vocab", 24}, {"triggers", 2}, {"successors", 3}}},
      {"train",
       {{"steps", steps}, {"batch", batch}, {"seq_len", 24}, {"lr", 1e-2}, {"warmup", 2}, {"eval_every", 0},
        {"eval_batches", 2}, {"checkpoint_every", checkpoint_every}, {"log_every", 1}, {"seed", 1}}}};
  const fs::path p = dir / ("b" + std::to_string(batch) + ".json");
  std::ofstream(p) << j.dump(2);
  return p;
}

TEST(CliTrain, TwoProcessesFollowTheOneProcessLossCurve) {
  const fs::path dir = scratch_dir() / "ddp";
  fs::remove_all(dir);
  const fs::path one = write_config(dir, 4, 6), two = write_config(dir, 2, 6);
  // Same global batch: 1 x 4 sequences vs 2 ranks x 2; the dataset indices make them the same.
  const Result single = run("train lm --config " + quote(one.string()) + " --out " + quote((dir / "one").string()));
  ASSERT_EQ(single.code, 0) << single.out;
  const auto ranks = launch_ranks(SS_CLI_BINARY, {"--threads", "1", "train", "lm", "--config", two.string(), "--out",
                                                  (dir / "two").string()},
                                  2, std::chrono::seconds(180));
  for (const auto& r : ranks) ASSERT_EQ(r.exit_code, 0);
  const std::vector<double> a = logged_losses(dir / "one"), b = logged_losses(dir / "two");
  ASSERT_EQ(a.size(), 6u);
  ASSERT_EQ(b.size(), 6u);
  // Summation order differs (two half-batch means averaged), so equal up to float rounding.
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-4 * std::abs(a[i])) << "step " << i + 1;
  EXPECT_GT(a.front() - a.back(), 0.2);  // and it learned something
}

TEST(CliTrain, CtrlCSavesACheckpointThatResumeFinishes) {
  const fs::path dir = scratch_dir() / "sigint";
  fs::remove_all(dir);
  const fs::path cfg = write_config(dir, 16, 100000, 64);
  const std::string out = (dir / "run").string();
  // Interrupt once training runs (the log has rows).
  EXPECT_EQ(run_and_interrupt({"train", "lm", "--config", cfg.string(), "--out", out},
                              [&out] { return logged_losses(out).size() >= 2; }),
            130);
  const auto state = nlohmann::json::parse(std::ifstream(fs::path(out) / "trainer_state.json"));
  const int64_t step = state["step"].get<int64_t>();
  EXPECT_GE(step, 2);
  EXPECT_EQ(static_cast<int64_t>(logged_losses(out).size()), step);
  const Result more = run("train lm --config " + quote(cfg.string()) + " --out " + quote(out) + " --resume --stop-at " +
                          std::to_string(step + 2));
  EXPECT_EQ(more.code, 0) << more.out;
  EXPECT_EQ(static_cast<int64_t>(logged_losses(out).size()), step + 2);
}

// kill -9 gives no chance to save anything: the run resumes from its last periodic checkpoint
// (whatever instant the kill hit, see trainer.cpp) and then logs exactly the unbroken run's losses.
TEST(CliTrain, AKilledRunResumesToTheUnbrokenLossCurve) {
  const fs::path dir = scratch_dir() / "sigkill";
  fs::remove_all(dir);
  const fs::path cfg = write_config(dir, 8, 100000, 32, 3);
  const std::string killed = (dir / "killed").string(), unbroken = (dir / "unbroken").string();
  EXPECT_EQ(run_and_interrupt({"train", "lm", "--config", cfg.string(), "--out", killed},
                              [&killed] { return logged_losses(killed).size() >= 7; }, SIGKILL),
            -1);
  const int64_t saved = nlohmann::json::parse(std::ifstream(fs::path(killed) / "trainer_state.json"))["step"];
  ASSERT_GE(saved, 3);
  const std::string stop = std::to_string(saved + 4);
  const Result resumed = run("train lm --config " + quote(cfg.string()) + " --out " + quote(killed) + " --resume --stop-at " + stop, false, 1);
  ASSERT_EQ(resumed.code, 0) << resumed.out;
  const Result straight = run("train lm --config " + quote(cfg.string()) + " --out " + quote(unbroken) + " --stop-at " + stop, false, 1);
  ASSERT_EQ(straight.code, 0) << straight.out;
  const std::vector<double> a = logged_losses(killed), b = logged_losses(unbroken);
  ASSERT_EQ(a.size(), static_cast<size_t>(saved + 4));
  EXPECT_EQ(a, b);  // bit for bit: same data indices, weights, moments and threads (1, as the killed run)
}

TEST(CliTrain, DataAndEvalReadTheTrainedFolder) {
  const fs::path dir = scratch_dir() / "dataeval";
  fs::remove_all(dir);
  const fs::path cfg = write_config(dir, 4, 3);
  ASSERT_EQ(run("train lm --config " + quote(cfg.string()) + " --out " + quote((dir / "m").string())).code, 0);
  const Result sample = run("data sample " + quote((dir / "m").string()) + " -n 3 --length 7", true);
  ASSERT_EQ(sample.code, 0);
  EXPECT_EQ(std::count(sample.out.begin(), sample.out.end(), '\n'), 3);
  EXPECT_EQ(sample.out.rfind("0 ", 0), 0u);  // every sequence starts with BOS (id 0)
  const Result ev = run("eval backcopy " + quote((dir / "m").string()) + " -n 4 --length 24 --out " +
                        quote((dir / "bb.json").string()));
  ASSERT_EQ(ev.code, 0) << ev.out;
  const auto j = nlohmann::json::parse(std::ifstream(dir / "bb.json"));
  EXPECT_EQ(j["bos_share_at_other"].size(), 2u);
  EXPECT_GE(j["copy_accuracy"].get<double>(), 0.0);
}

TEST(CliTrain, BadInputGivesOneLineErrors) {
  const fs::path dir = scratch_dir() / "trainbad";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "bad.json") << R"({"model": {"dim": 32, "layers": 2, "heads": 2, "ffn_hidden": 64},
    "data": {"kind": "bigram-backcopy"}, "train": {"steps": 0}})";
  const std::vector<ErrorCase> cases = {
      {"train lm --config " + quote((dir / "missing.json").string()), 1, "missing.json"},
      {"train lm --config " + quote((dir / "bad.json").string()), 1, "train.steps: expected an integer in [1"},
      {"train lm --config " + quote(write_config(dir, 2, 2).string()) + " --attention cosine", 1, "model.attention"},
      {"train lm --config " + quote(write_config(dir, 2, 2).string()) + " --resume --out " + quote((dir / "none").string()),
       1, "no checkpoint to resume from"},
      {"eval backcopy " + quote(dir.string()), 1, "no train_config.json"},
  };
  expect_one_line_errors(cases);
}

}  // namespace
}  // namespace ss::test
