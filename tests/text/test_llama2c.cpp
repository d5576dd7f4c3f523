// llama2.c tok*.bin: streaming output byte-identical to run.c on the stories260K greedy fixture,
// encode against run.c's algorithm on hand-checked strings, and malformed files.
#include <gtest/gtest.h>

#include <cstring>

#include "common/assets.h"
#include "io/safetensors.h"
#include "text/tokenizer.h"
#include "text_test_util.h"

namespace ss::text {
namespace {

const char* kTok512 = "models/stories260K/tok512.bin";

std::vector<int32_t> greedy_ids() {
  auto f =
      io::SafetensorsFile::open(test::asset("fixtures/stories260K/expected.safetensors").string());
  const io::RawTensor* t = f.find("greedy_ids");
  EXPECT_NE(t, nullptr);
  std::vector<int32_t> ids;
  for (int64_t i = 0; i < t->numel(); ++i) {
    float v;
    std::memcpy(&v, t->data + 4 * i, 4);
    ids.push_back(static_cast<int32_t>(v));
  }
  return ids;
}

TEST(Llama2c, LoadsTok512) {
  SS_REQUIRE_ASSET(kTok512);
  auto tok = load_tokenizer(test::asset(kTok512));
  EXPECT_EQ(tok->kind(), "llama2c");
  EXPECT_EQ(tok->vocab_size(), 512);
  EXPECT_EQ(tok->bos_id(), 1);
  EXPECT_EQ(tok->eos_id(), 2);
  EXPECT_EQ(tok->piece(1), "\n<s>\n");
  EXPECT_EQ(tok->piece(3), "<0x00>");
  EXPECT_SS_ERROR(tok->piece(512), "tok512.bin", "out of range");
}

// run.c generate(): BOS, then for each greedy token print decode(prev, next) via safe_printf.
TEST(Llama2c, StreamingReproducesRunC) {
  SS_REQUIRE_ASSET(kTok512);
  SS_REQUIRE_ASSET("fixtures/stories260K/expected.safetensors");
  auto tok = load_tokenizer(test::asset(kTok512));
  std::vector<int32_t> ids = greedy_ids();
  ASSERT_EQ(ids.size(), 200u);
  std::string text;
  int32_t prev = *tok->bos_id();
  for (int32_t id : ids) {
    text += tok->decode_step(prev, id);
    prev = id;
  }
  EXPECT_EQ(text, test::read_file(test::asset("fixtures/stories260K/greedy_text.txt")));
  std::string expected = test::read_file(test::asset("models/stories260K/expected_greedy_200.txt"));
  while (!expected.empty() && expected.back() == '\n') expected.pop_back();
  EXPECT_EQ(text, expected);

  // decode() is the same stream; encoding the text gives back ids that decode to it.
  std::vector<int32_t> with_bos{1};
  with_bos.insert(with_bos.end(), ids.begin(), ids.end());
  EXPECT_EQ(tok->decode(with_bos, true), text);
  EXPECT_EQ(tok->decode(tok->encode(text, true), true), text);
}

TEST(Llama2c, EncodeLikeRunC) {
  SS_REQUIRE_ASSET(kTok512);
  auto tok = load_tokenizer(test::asset(kTok512));
  EXPECT_EQ(tok->encode("", true), (std::vector<int32_t>{1}));
  EXPECT_TRUE(tok->encode("", false).empty());
  // The dummy prefix " " merges into the first word.
  std::vector<int32_t> ids = tok->encode("Once upon a time", false);
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(tok->piece(ids[0]).front(), ' ');
  EXPECT_EQ(tok->decode(ids), " Once upon a time");
  // Characters outside the vocabulary fall back to byte tokens (byte + 3), even invalid UTF-8,
  // and come back as the same bytes.
  int32_t space = -1;
  for (int32_t id = 0; id < tok->vocab_size(); ++id)
    if (tok->piece(id) == " ") space = id;
  ASSERT_GE(space, 0);
  ids = tok->encode("\xE4\xBD\xA0", false);  // U+4F60
  EXPECT_EQ(ids, (std::vector<int32_t>{space, 0xE4 + 3, 0xBD + 3, 0xA0 + 3}));
  EXPECT_EQ(tok->encode("\xFF", false), (std::vector<int32_t>{space, 0xFF + 3}));
  // Text ends at a NUL, as the C string run.c receives.
  EXPECT_EQ(tok->encode(std::string("a\0b", 3), false), tok->encode("a", false));
}

TEST(Llama2c, MalformedFiles) {
  SS_REQUIRE_ASSET(kTok512);
  const std::string good = test::read_file(test::asset(kTok512));
  auto dir = test::scratch_dir();
  auto write = [&](const std::string& name, const std::string& bytes) {
    test::write_file(dir / name, bytes);
    return dir / name;
  };
  EXPECT_SS_ERROR(load_tokenizer(write("tok_trunc.bin", good.substr(0, good.size() - 3))),
                  "tok_trunc.bin", "truncated", "token 511");
  EXPECT_SS_ERROR(load_tokenizer(write("tok_half.bin", good.substr(0, 4 + 5))), "truncated",
                  "8 bytes of score and length");
  EXPECT_SS_ERROR(load_tokenizer(write("tok_tiny.bin", "ab")), "tok_tiny.bin", "2 bytes");
  std::string absurd = good;
  int32_t huge = 0x7fffffff;
  std::memcpy(&absurd[4 + 4], &huge, 4);  // first token's length
  EXPECT_SS_ERROR(load_tokenizer(write("tok_len.bin", absurd)), "token 0", "length 2147483647");
  std::string negative = good;
  int32_t neg = -5;
  std::memcpy(&negative[0], &neg, 4);
  EXPECT_SS_ERROR(load_tokenizer(write("tok_max.bin", negative)), "max_token_length is -5");
  // 258 tokens: too few for run.c's byte fallback (ids 3..258).
  size_t off = 4;
  for (int i = 0; i < 258; ++i) {
    int32_t len;
    std::memcpy(&len, &good[off + 4], 4);
    off += 8 + size_t(len);
  }
  EXPECT_SS_ERROR(load_tokenizer(write("tok_few.bin", good.substr(0, off))), "258 tokens",
                  "at least 259");
  EXPECT_SS_ERROR(load_tokenizer(dir / "missing.bin"), "missing.bin");
}

}  // namespace
}  // namespace ss::text
