// Requests that cannot fit are refused up front with the estimate (SINKSCOPE_MEMORY_LIMIT_MB pins
// the available memory), `--check-finite` passes on a clean model, and the commands of the training
// issue give one line and exit code 1/2 on bad inputs (issue #6 bad-input matrix).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cli/cli_runner.h"
#include "common/assets.h"

namespace ss::test {
namespace {

namespace fs = std::filesystem;

// Sets SINKSCOPE_MEMORY_LIMIT_MB for the children this test starts (popen inherits the environment).
class MemoryLimit {
 public:
  explicit MemoryLimit(const char* mb) { setenv("SINKSCOPE_MEMORY_LIMIT_MB", mb, 1); }
  ~MemoryLimit() { unsetenv("SINKSCOPE_MEMORY_LIMIT_MB"); }
  MemoryLimit(const MemoryLimit&) = delete;
  MemoryLimit& operator=(const MemoryLimit&) = delete;
};

// A tiny Bigram-Backcopy training config.
fs::path write_train_config(const fs::path& dir, int64_t batch, int64_t seq_len = 24) {
  const nlohmann::json j = {
      {"model", {{"dim", 32}, {"layers", 2}, {"heads", 2}, {"ffn_hidden", 64}}},
      {"data", {{"kind", "bigram-backcopy"}, {"vocab", 24}, {"triggers", 2}, {"successors", 3}}},
      {"train",
       {{"steps", 2}, {"batch", batch}, {"seq_len", seq_len}, {"lr", 1e-2}, {"warmup", 1}, {"eval_every", 0},
        {"eval_batches", 1}, {"checkpoint_every", 0}, {"log_every", 1}, {"seed", 1}}}};
  const fs::path p = dir / ("bb" + std::to_string(batch) + ".json");
  std::ofstream(p) << j.dump(2);
  return p;
}

std::string init_model(const fs::path& dir, const std::string& name, const std::string& config) {
  std::ofstream(dir / (name + ".json")) << config;
  const Result r = run("init " + quote((dir / (name + ".json")).string()) + " --out " + quote((dir / name).string()));
  EXPECT_EQ(r.code, 0) << r.out;
  return quote((dir / name).string());
}

const char* kTinyVit = R"({"family":"dinov2","dim":64,"depth":2,"heads":2})";
const char* kTinyLm =
    R"({"model_type":"llama","vocab_size":40,"hidden_size":32,"num_hidden_layers":2,"num_attention_heads":4,)"
    R"("num_key_value_heads":2,"intermediate_size":64,"max_position_embeddings":64})";

TEST(CliBadInputs, AbsurdResolutionIsRefusedWithTheEstimate) {
  const fs::path dir = scratch_dir();
  const std::string m = init_model(dir, "vit", kTinyVit);
  const std::string photo = asset("images/imagenet_sample/n01440764_tench.JPEG").string();
  if (!fs::exists(photo)) GTEST_SKIP() << "asset missing: " << photo;
  const MemoryLimit limit("64");
  const std::string out = quote((dir / "t.safetensors").string());
  expect_one_line_errors({
      {"trace " + m + " " + quote(photo) + " --resolution 20000 20000 --out " + out, 2, "needs about"},
      {"inspect " + m + " " + quote(photo) + " --resolution 20000 20000 --out " + quote((dir / "i").string()), 2,
       "needs about"},
  });
  EXPECT_FALSE(fs::exists(dir / "t.safetensors"));
  // A normal small run under the same limit, with the finite check on.
  const Result r = run("trace " + m + " " + quote(photo) + " --resolution 56 70 --check-finite --out " + out);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(fs::exists(dir / "t.safetensors"));
}

TEST(CliBadInputs, TrainingBatchLargerThanMemoryIsRefused) {
  const fs::path dir = scratch_dir();
  const MemoryLimit limit("64");
  expect_one_line_errors({{"train lm --config " + quote(write_train_config(dir, 1000000).string()) + " --out " +
                               quote((dir / "huge").string()),
                           2, "needs about"}});
  EXPECT_FALSE(fs::exists(dir / "huge"));
  const Result r =
      run("train lm --config " + quote(write_train_config(dir, 2).string()) + " --out " + quote((dir / "ok").string()));
  EXPECT_EQ(r.code, 0) << r.out;
}

TEST(CliBadInputs, DenseCacheLargerThanMemoryIsRefused) {
  const fs::path dir = scratch_dir();
  const std::string m = init_model(dir, "lm", kTinyLm);
  std::ofstream ids(dir / "ids.txt");
  for (int i = 0; i < 200; ++i) ids << (i % 40) << " ";
  ids.close();
  // 2 layers x 2 (k, v) x kv_dim 16 x 4 bytes = 256 bytes per token; 200 tokens do not fit in 10 KiB.
  const MemoryLimit limit("0.01");
  const std::string base = "stream " + m + " --ids " + quote((dir / "ids.txt").string()) + " --dense-limit 0";
  expect_one_line_errors({{base + " --cache dense", 2, "dense KV cache of 200 tokens needs about"}});
  const Result r = run(base + " --cache window:16");
  EXPECT_EQ(r.code, 0) << r.out;
}

TEST(CliBadInputs, TrainingCommandsGiveOneLineErrors) {
  const fs::path dir = scratch_dir();
  const std::string cfg = quote(write_train_config(dir, 2).string());
  const std::string lm = init_model(dir, "lm", kTinyLm);
  fs::create_directories(dir / "folder");
  std::ofstream(dir / "empty.json").close();
  std::ofstream(dir / "empty.txt").close();
  std::ofstream(dir / "ids.txt") << "1 2 3 4 5 6 7 8\n";
  const std::string missing = quote((dir / "missing.json").string()), folder = quote((dir / "folder").string()),
                    empty = quote((dir / "empty.json").string()), empty_txt = quote((dir / "empty.txt").string()),
                    ids = quote((dir / "ids.txt").string());
  expect_one_line_errors({
      {"train lm --config " + missing, 1, "missing.json"},
      {"train lm --config " + folder, 1, "folder"},
      {"train lm --config " + empty, 1, "empty.json"},
      {"train lm --config " + cfg + " --steps 0", 2, "--steps"},
      {"data sample " + missing, 1, "missing.json"},
      {"data sample " + folder, 1, "folder"},
      {"data sample " + empty, 1, "empty.json"},
      {"data sample " + cfg + " -n 0", 2, "-n"},
      {"data sample " + cfg + " --length 1", 2, "--length"},
      {"data sample " + cfg + " --split test", 2, "--split"},
      {"data stream " + cfg + " -n -5", 2, "-n"},
      {"data stream " + missing, 1, "missing.json"},
      {"eval backcopy " + missing, 1, "missing.json"},
      {"eval backcopy " + folder, 1, "folder"},
      {"eval backcopy " + empty, 1, "empty.json"},
      {"eval backcopy " + lm + " -n 0", 2, "-n"},
      {"eval backcopy " + lm + " --length 1", 2, "--length"},
      {"stream " + lm + " --ids " + missing, 1, "missing.json"},
      {"stream " + lm + " --ids " + folder, 1, "folder"},
      {"stream " + lm + " --ids " + empty_txt, 1, "empty.txt"},
      {"stream " + lm + " --text " + empty_txt + " --ids " + ids, 2, "--ids"},
      {"stream " + lm + " --ids " + ids + " --cache lru:8", 2, "lru:8"},
      {"stream " + lm + " --ids " + ids + " --ppl-window 0", 2, "--ppl-window"},
      {"stream " + lm + " --ids " + ids + " --max-tokens -1", 2, "--max-tokens"},
  });
}

}  // namespace
}  // namespace ss::test
