// Inputs the fuzzers (fuzz/, docs/reliability.md "Fuzzing") found to crash a parser, each refused
// with a clear error now. The exact crashing files are also in fuzz/regressions/<harness>/, which
// `make fuzz` replays under the sanitizers (undefined behaviour only shows there); these tests pin
// the behaviour in the ordinary build.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "common/assets.h"
#include "io/llama2c.h"
#include "io/yaml.h"
#include "io_test_util.h"

namespace {

// A llama2.c header whose vocab_size is INT32_MIN: the sign flag (separate classifier) was taken
// off by negating it, which overflows (fuzz_llama2c, UBSan "negation of -2147483648").
TEST(FuzzRegressions, Llama2cVocabInt32Min) {
  const int32_t header[7] = {8, 16, 1, 2, 2, INT32_MIN, 4};
  std::string bytes(sizeof header, '\0');
  std::memcpy(bytes.data(), header, sizeof header);
  const auto path = (ss::test::scratch_dir() / "vocab_min.bin").string();
  ss::test::write_file(path, bytes);
  EXPECT_FALSE(ss::io::looks_like_llama2c(path));
  ss::io::Llama2cHeader h{};
  // "vocab 0": never negated (the overflow read back as -2147483648 in practice).
  EXPECT_SS_ERROR(ss::io::read_llama2c(path, &h), path, "not a llama2.c checkpoint");
  EXPECT_SS_ERROR(ss::io::read_llama2c(path, &h), path, "vocab 0)");
}

// A YAML key with a byte that is not UTF-8: yaml-cpp passed it through, and dumping the JSON
// value later threw nlohmann's type_error instead of ss::Error (fuzz_yaml).
TEST(FuzzRegressions, YamlInvalidUtf8) {
  EXPECT_SS_ERROR(ss::io::parse_yaml("{\"dim\": 768, \x9a\"heads\": 12}", "config.yaml"),
                  "config.yaml", "not valid UTF-8");
  EXPECT_SS_ERROR(ss::io::parse_yaml("name: caf\xe9\n", "config.yaml"), "config.yaml",
                  "not valid UTF-8");
  EXPECT_EQ(ss::io::parse_yaml("name: caf\xc3\xa9\n", "config.yaml")["name"], "caf\xc3\xa9");
}

// "Billion laughs": seven levels of ten aliases each, 452 bytes that expanded to 10^8 values
// (over 60 s and 2 GB before the limit).
TEST(FuzzRegressions, YamlAliasExpansionIsBounded) {
  std::string yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 8; ++i) {
    yaml += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) yaml += (k ? ", *a" : "*a") + std::to_string(i - 1);
    yaml += "]\n";
  }
  EXPECT_SS_ERROR(ss::io::parse_yaml(yaml, "config.yaml"), "config.yaml", "aliases expanding");
}

}  // namespace
