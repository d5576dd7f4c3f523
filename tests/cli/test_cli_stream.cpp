// `sinkscope stream` on token-id input, its dense-cache limit, and Ctrl-C: the results so far are
// written (valid JSON, the interrupted policy marked) and the exit code is 130.
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "cli/cli_runner.h"
#include "common/assets.h"

namespace ss::test {
namespace {

namespace fs = std::filesystem;

TEST(CliStream, IdsInputAndTheDenseLimit) {
  SS_REQUIRE_ASSET("models/stories260K/stories260K.bin");
  const fs::path dir = scratch_dir() / "stream-ids";
  fs::create_directories(dir);
  std::ofstream(dir / "ids.txt") << "1 301 427 309 426 301 427 309 394 265 262 415 271 422 280 295\n269 336 432 313 448\n";
  const std::string model = quote(asset("models/stories260K/stories260K.bin").string());
  const Result r = run("stream " + model + " --ids " + quote((dir / "ids.txt").string()) +
                       " --cache dense,window:8 --dense-limit 10 --out " + quote((dir / "s.json").string()));
  ASSERT_EQ(r.code, 0) << r.out;
  const auto j = nlohmann::json::parse(std::ifstream(dir / "s.json"));
  EXPECT_EQ(j["stream_tokens"], 21);
  EXPECT_EQ(j["results"][0]["tokens"], 10);  // dense stopped at its limit, saying why
  EXPECT_NE(j["results"][0]["stopped"].get<std::string>().find("dense cache stopped at 10"), std::string::npos);
  EXPECT_EQ(j["results"][1]["tokens"], 20);
  std::ofstream(dir / "bad.txt") << "1 2 x3\n";
  expect_one_line_errors({{"stream " + model + " --ids " + quote((dir / "bad.txt").string()), 1, "'x3' is not a token id"},
                          {"stream " + model, 2, "--text FILE or as --ids FILE"}});
}

TEST(CliStream, CtrlCWritesThePartialResults) {
  SS_REQUIRE_ASSET("models/stories260K/stories260K.bin");
  const fs::path dir = scratch_dir() / "stream-sigint";
  fs::create_directories(dir);
  const fs::path out = dir / "s.json";
  const auto m = asset("models/stories260K");
  // recompute:256 is slow enough that 200k tokens never finish before the interrupt.
  const int code = run_and_interrupt({"stream", (m / "stories260K.bin").string(), "--tokenizer", (m / "tok512.bin").string(),
                                      "--text", asset("data/tinystories_val.txt").string(), "--max-tokens", "200000",
                                      "--cache", "recompute:256,window:64", "--out", out.string()},
                                     [] {
                                       std::this_thread::sleep_for(std::chrono::seconds(3));
                                       return true;
                                     });
  EXPECT_EQ(code, 130);
  const auto j = nlohmann::json::parse(std::ifstream(out));
  ASSERT_EQ(j["results"].size(), 1u);  // the second policy never started
  EXPECT_EQ(j["results"][0]["stopped"], "interrupted");
  EXPECT_GT(j["results"][0]["tokens"].get<int64_t>(), 0);
  EXPECT_FALSE(fs::exists(out.string() + ".tmp"));
}

}  // namespace
}  // namespace ss::test
