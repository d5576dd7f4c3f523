#include <gtest/gtest.h>

#include "text/tokenizer.h"
#include "text_test_util.h"

namespace ss::text {
namespace {

TEST(ByteTokenizer, RoundTripsEveryByte) {
  auto tok = make_byte_tokenizer();
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  std::vector<int32_t> ids = tok->encode(all, true);
  ASSERT_EQ(ids.size(), 257u);
  EXPECT_EQ(ids[0], 256);
  for (int b = 0; b < 256; ++b) EXPECT_EQ(ids[b + 1], b);
  EXPECT_EQ(tok->decode(ids, true), all);
  EXPECT_EQ(tok->decode(ids, false), "<s>" + all);
  EXPECT_EQ(tok->encode("", false), std::vector<int32_t>{});
  std::string streamed;
  for (size_t i = 1; i < ids.size(); ++i) streamed += tok->decode_step(ids[i - 1], ids[i]);
  EXPECT_EQ(streamed, all);
  EXPECT_EQ(tok->kind(), "byte");
  EXPECT_EQ(tok->vocab_size(), 258);
  EXPECT_EQ(tok->bos_id(), 256);
  EXPECT_EQ(tok->eos_id(), 257);
  EXPECT_EQ(tok->piece(257), "</s>");
  EXPECT_SS_ERROR(tok->piece(258), "out of range");
  EXPECT_EQ(tok->decode({65, 999, -1, 66}), "AB");  // unknown ids are skipped
}

}  // namespace
}  // namespace ss::text
