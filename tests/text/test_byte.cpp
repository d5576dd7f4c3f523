#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "common/assets.h"
#include "text/loaders.h"
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

TEST(ByteTokenizer, ItsTokenizerJsonEncodesTheSameIds) {
  // Trained byte-level models ship byte_tokenizer_json() as tokenizer.json: the HF pipeline must
  // give the byte tokenizer's ids (valid UTF-8 without the literal text "<s>"/"</s>", which HF
  // pipelines turn into the special tokens) and decode back to the text.
  const auto path = test::scratch_dir() / "byte-tokenizer.json";
  std::ofstream(path) << byte_tokenizer_json().dump();
  const auto hf = load_hf_json(path);
  const auto bytes = make_byte_tokenizer();
  EXPECT_EQ(hf->vocab_size(), 258);
  EXPECT_EQ(hf->bos_id(), 256);
  for (const std::string text : {"Hello, world!", "  two  spaces\tand tabs\n", "caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80",
                                 "1234567890"}) {
    EXPECT_EQ(hf->encode(text, true), bytes->encode(text, true)) << text;
    EXPECT_EQ(hf->decode(hf->encode(text, true), true), text);
  }
}

}  // namespace
}  // namespace ss::text
