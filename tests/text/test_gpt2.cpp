// GPT-2 vocab.json + merges.txt: known ids, round trips, the 1 MB speed bound, malformed files.
// (Id-for-id agreement with transformers.js over the oracle corpus is in test_oracle.cpp.)
#include <gtest/gtest.h>

#include "common/assets.h"
#include "text/tokenizer.h"
#include "text_test_util.h"

namespace ss::text {
namespace {

const char* kDir = "data/gpt2_tokenizer";

TEST(Gpt2Files, KnownIds) {
  SS_REQUIRE_ASSET(kDir);
  auto tok = load_tokenizer(test::asset(kDir));
  EXPECT_EQ(tok->kind(), "gpt2-bpe");
  EXPECT_EQ(tok->vocab_size(), 50257);
  EXPECT_EQ(tok->bos_id(), 50256);
  EXPECT_EQ(tok->eos_id(), 50256);
  // Ids from the GPT-2 paper's tokenizer as every implementation reports them.
  EXPECT_EQ(tok->encode("Hello world"), (std::vector<int32_t>{15496, 995}));
  EXPECT_EQ(tok->encode(" Hello world<|endoftext|>"), (std::vector<int32_t>{18435, 995, 50256}));
  EXPECT_EQ(tok->piece(995), "\xC4\xA0world");  // "Ġworld"
  EXPECT_EQ(tok->decode({18435, 995, 50256}, true), " Hello world");
  EXPECT_EQ(tok->decode({18435, 995, 50256}), " Hello world<|endoftext|>");
  EXPECT_TRUE(tok->encode("").empty());
  EXPECT_EQ(tok->decode({}), "");
  // vocab.json names the same tokenizer.
  EXPECT_EQ(load_tokenizer(test::asset(kDir) / "vocab.json")->encode("Hello world"),
            (std::vector<int32_t>{15496, 995}));
}

TEST(Gpt2Files, StreamingJoinsSplitCharacters) {
  SS_REQUIRE_ASSET(kDir);
  auto tok = load_tokenizer(test::asset(kDir));
  const std::string text = "emoji \xF0\x9F\xA6\x99 and \xE4\xBD\xA0\xE5\xA5\xBD";
  std::vector<int32_t> ids = tok->encode(text);
  std::string streamed;
  for (size_t i = 0; i < ids.size(); ++i) streamed += tok->decode_step(i ? ids[i - 1] : -1, ids[i]);
  EXPECT_EQ(streamed, text);
  EXPECT_EQ(tok->decode(ids), text);
}

// 1 MB of real prose: must stay well under a second (of CPU time).
TEST(Gpt2Files, OneMegabyteIsFast) {
  SS_REQUIRE_ASSET(kDir);
  SS_REQUIRE_ASSET("data/pg_war_and_peace.txt");
  auto tok = load_tokenizer(test::asset(kDir));
  std::string text = test::read_file(test::asset("data/pg_war_and_peace.txt")).substr(0, 1 << 20);
  double t0 = test::thread_cpu_seconds();
  std::vector<int32_t> ids = tok->encode(text);
  const double seconds = test::thread_cpu_seconds() - t0;
  RecordProperty("encode_1MB_seconds", std::to_string(seconds));
  EXPECT_LT(seconds, 0.5);
  EXPECT_GT(ids.size(), 200000u);
  EXPECT_EQ(tok->decode(ids), text);
  // Hostile shapes: one 1 MB "word" and 1 MB of spaces.
  for (const std::string& s : {std::string(1 << 20, 'a'), std::string(1 << 20, ' ')}) {
    t0 = test::thread_cpu_seconds();
    ids = tok->encode(s);
    EXPECT_LT(test::thread_cpu_seconds() - t0, 1.0);
    EXPECT_EQ(tok->decode(ids), s);
  }
}

TEST(Gpt2Files, Malformed) {
  SS_REQUIRE_ASSET(kDir);
  auto dir = test::scratch_dir();
  test::write_file(dir / "vocab.json", R"({"a": 0, "b": 1, "ab": 2})");
  test::write_file(dir / "merges.txt", "#version: 0.2\na b\n");
  EXPECT_EQ(load_tokenizer(dir)->encode("abab"), (std::vector<int32_t>{2, 2}));
  test::write_file(dir / "merges.txt", "a b\na c\n");
  EXPECT_SS_ERROR(load_tokenizer(dir), "vocab.json", "merge 1", "\"c\", which is not in the vocab");
  test::write_file(dir / "merges.txt", "a b c\n");
  EXPECT_SS_ERROR(load_tokenizer(dir), "merges.txt", "line 1", "not \"a b\"");
  test::write_file(dir / "merges.txt", "a b\n");
  test::write_file(dir / "vocab.json", R"({"a": 0, "b": -3})");
  EXPECT_SS_ERROR(load_tokenizer(dir), "vocab.json", "\"b\"");
  test::write_file(dir / "vocab.json", R"({"a": 0, "b": 0, "ab": 1})");
  EXPECT_SS_ERROR(load_tokenizer(dir), "vocab.json", "same id 0");
  test::write_file(dir / "vocab.json", R"({"a": 0, "b": 99999999999})");
  EXPECT_SS_ERROR(load_tokenizer(dir), "vocab.json", "\"b\"");
  test::write_file(dir / "vocab.json", R"(["a"])");
  EXPECT_SS_ERROR(load_tokenizer(dir), "vocab.json", "not a JSON object");
  std::filesystem::remove(dir / "merges.txt");
  EXPECT_SS_ERROR(load_tokenizer(dir / "vocab.json"), "needs merges.txt");
  EXPECT_SS_ERROR(load_tokenizer(dir), "no tokenizer.json, tokenizer.model, vocab.json");
}

}  // namespace
}  // namespace ss::text
