// load_tokenizer(): which loader a path goes to, by folder contents, name and content.
#include <gtest/gtest.h>

#include "common/assets.h"
#include "text/tokenizer.h"
#include "text_test_util.h"

namespace ss::text {
namespace {

namespace fs = std::filesystem;

TEST(LoadTokenizer, DetectsByNameAndContent) {
  SS_REQUIRE_ASSET("models/stories260K/tok512.bin");
  SS_REQUIRE_ASSET("models/stories260K/tok512.model");
  const fs::path dir = test::scratch_dir();
  // Without a telling extension the content decides.
  fs::copy_file(test::asset("models/stories260K/tok512.bin"), dir / "tokenizer-a");
  fs::copy_file(test::asset("models/stories260K/tok512.model"), dir / "tokenizer-b");
  EXPECT_EQ(load_tokenizer(dir / "tokenizer-a")->kind(), "llama2c");
  EXPECT_EQ(load_tokenizer(dir / "tokenizer-b")->kind(), "sentencepiece");
  test::write_file(dir / "tokenizer-c", "neither format");
  EXPECT_SS_ERROR(load_tokenizer(dir / "tokenizer-c"), "tokenizer-c", "not a tokenizer",
                  "llama2.c");
  // A folder: tokenizer.model when there is no tokenizer.json.
  fs::create_directories(dir / "model");
  fs::copy_file(test::asset("models/stories260K/tok512.model"), dir / "model" / "tokenizer.model");
  EXPECT_EQ(load_tokenizer(dir / "model")->kind(), "sentencepiece");
  EXPECT_SS_ERROR(load_tokenizer(dir / "missing"), "missing", "no such file");
  fs::create_directories(dir / "empty");
  EXPECT_SS_ERROR(load_tokenizer(dir / "empty"),
                  "no tokenizer.json, tokenizer.model, vocab.json");
}

}  // namespace
}  // namespace ss::text
