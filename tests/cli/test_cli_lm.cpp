// The language-model commands as a user runs them.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli_runner.h"
#include "common/assets.h"
#include "io/safetensors.h"

namespace ss::test {
namespace {

const char* kStories = "models/stories260K/stories260K.bin";

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

TEST(CliLm, GreedyStories260KIsByteIdenticalToLlama2c) {
  SS_REQUIRE_ASSET(kStories);
  Result r = run("generate " + quote(asset(kStories).string()) + " -n 200", /*stdout_only=*/true);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out, slurp(asset("models/stories260K/expected_greedy_200.txt")));
  // The tokenizer path: the prompt is encoded by tok512.bin, and the continuation stays on track.
  r = run("generate " + quote(asset(kStories).string()) + " --tokenizer " +
              quote(asset("models/stories260K/tok512.bin").string()) + " --prompt 'Once upon a time, there was' -n 20",
          true);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out.rfind("Once upon a time, there was a little girl named Lily.", 0), 0u) << r.out;
}

TEST(CliLm, TraceIdsMatchesTheFixtureLogits) {
  const char* fx = "fixtures/llama_gqa_tiny";
  SS_REQUIRE_ASSET(fx);
  const auto out = scratch_dir() / "lm.safetensors";
  Result r = run("trace " + quote((asset(fx) / "hf").string()) + " --ids " +
                 quote((asset(fx) / "inputs.safetensors").string()) + " --out " + quote(out.string()) +
                 " --tensors 'blocks.*.attn.probs'");
  ASSERT_EQ(r.code, 0) << r.out;
  const auto got = io::SafetensorsFile::open(out.string());
  const auto exp = io::SafetensorsFile::open((asset(fx) / "expected.safetensors").string());
  const auto* g = got.find("logits");
  const auto* e = exp.find("logits");
  ASSERT_TRUE(g && e);
  ASSERT_EQ(g->numel(), e->numel());
  float worst = 0;
  for (int64_t i = 0; i < e->numel(); ++i)
    worst = std::max(worst, std::abs(reinterpret_cast<const float*>(g->data)[i] -
                                     reinterpret_cast<const float*>(e->data)[i]));
  EXPECT_LE(worst, 1e-4f);
  EXPECT_NE(got.find("blocks.2.attn.probs"), nullptr);
  EXPECT_NE(got.find("input_ids"), nullptr);
}

TEST(CliLm, StreamComparesPoliciesAndWritesJson) {
  SS_REQUIRE_ASSET(kStories);
  SS_REQUIRE_ASSET("data/tinystories_val.txt");
  const auto out = scratch_dir() / "stream.json";
  Result r = run("stream " + quote(asset(kStories).string()) + " --text " +
                 quote(asset("data/tinystories_val.txt").string()) +
                 " --max-tokens 300 --cache sink:4+60,window:64,recompute:16 --out " + quote(out.string()));
  ASSERT_EQ(r.code, 0) << r.out;
  const auto j = nlohmann::json::parse(slurp(out));
  ASSERT_EQ(j["results"].size(), 3u);
  for (const auto& res : j["results"]) {
    EXPECT_EQ(res["tokens"].get<int>(), 299);
    EXPECT_LE(res["max_cache_entries"].get<int>(), 65);
    EXPECT_GT(res["ppl"].get<double>(), 1.5);  // a real model on real text: neither trivial ...
    EXPECT_LT(res["ppl"].get<double>(), 12);   // ... nor broken
  }
}

TEST(CliLm, InitWritesLoadableHfFoldersAndBenchRuns) {
  const auto dir = scratch_dir();
  std::ofstream(dir / "llama.json") << R"({"model_type":"llama","vocab_size":64,"hidden_size":32,"num_hidden_layers":2,
    "num_attention_heads":4,"num_key_value_heads":2,"intermediate_size":48,"max_position_embeddings":128})";
  std::ofstream(dir / "gpt2.json") << R"({"model_type":"gpt2","vocab_size":64,"n_embd":32,"n_layer":2,"n_head":4,
    "n_positions":40})";
  for (const char* name : {"llama", "gpt2"}) {
    const auto m = dir / name;
    Result r = run("init " + quote((dir / (std::string(name) + ".json")).string()) + " --out " + quote(m.string()));
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_TRUE(std::filesystem::exists(m / "config.json"));
    r = run("info " + quote(m.string()));
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find(std::string("decoder LM (") + name + ")"), std::string::npos) << r.out;
    r = run("bench lm " + quote(m.string()) + " --pp 8 --tg 4 --cache-sizes 16,32 --steps 2 --reps 1 --json " +
            quote((m / "bench.json").string()));
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("sink:4+12 @16"), std::string::npos) << r.out;
    // GPT-2 has 40 learned positions: cache 32 + 2 steps fits, the row is not skipped.
    EXPECT_NE(r.out.find("recompute:32 @32"), std::string::npos) << r.out;
    const auto j = nlohmann::json::parse(slurp(m / "bench.json"));
    EXPECT_EQ(j["rows"].size(), 2u + 2 * 4);
  }
}

TEST(CliLm, BadInputsAreUsageOrDataErrors) {
  SS_REQUIRE_ASSET(kStories);
  const std::string m = quote(asset(kStories).string());
  const auto dir = scratch_dir();
  std::ofstream(dir / "ids.txt") << "1 2 x";
  const std::vector<ErrorCase> cases = {
      {"stream " + m + " --text " + quote(asset("data/tinystories_val.txt").string()) + " --cache lru:5", 2, "--cache"},
      {"generate " + m + " -n 0", 2, "-n"},
      {"trace " + m + " --ids " + quote((dir / "ids.txt").string()) + " --out o.safetensors", 1, "'x'"},
      {"trace " + m + " --out o.safetensors", 2, "--ids"},
      {"tokenize " + m + " --decode '1 99999'", 2, "99999"},
  };
  expect_one_line_errors(cases);
}

}  // namespace
}  // namespace ss::test
