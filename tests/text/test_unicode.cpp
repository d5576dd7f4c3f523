// The UTF-8 repair rules and NFC that the tokenizers rely on.
#include <gtest/gtest.h>

#include "text/nfc.h"
#include "text/utf8.h"

namespace ss::text {
namespace {

const std::string kFFFD = "\xEF\xBF\xBD";

// WHATWG / Unicode "maximal subpart" substitution: what TextDecoder and from_utf8_lossy give.
TEST(Utf8, ToValidReplacesMaximalSubparts) {
  EXPECT_EQ(utf8::to_valid("plain \xE4\xBD\xA0"), "plain \xE4\xBD\xA0");
  EXPECT_EQ(utf8::to_valid("\xFF"), kFFFD);
  EXPECT_EQ(utf8::to_valid("a\xE4\xBD"), "a" + kFFFD);  // truncated: one
  EXPECT_EQ(utf8::to_valid("\xE4\xBDz"), kFFFD + "z");
  EXPECT_EQ(utf8::to_valid("\xC0\xAF"), kFFFD + kFFFD);              // overlong: per byte
  EXPECT_EQ(utf8::to_valid("\xED\xA0\x80"), kFFFD + kFFFD + kFFFD);  // surrogate
  EXPECT_EQ(utf8::to_valid("\xF4\x90\x80\x80"), kFFFD + kFFFD + kFFFD + kFFFD);  // > U+10FFFF
  EXPECT_EQ(utf8::to_valid("\xF0\x9F\xA6"), kFFFD);
  EXPECT_EQ(utf8::to_valid("\x80\x80"), kFFFD + kFFFD);
  EXPECT_TRUE(utf8::is_valid("\xF0\x9F\xA6\x99"));
  EXPECT_FALSE(utf8::is_valid("\xF0\x9F\xA6"));
}

// SentencePiece's rule: one U+FFFD per byte that starts no character.
TEST(Utf8, ToValidBytewise) {
  EXPECT_EQ(utf8::to_valid_bytewise("a\xE4\xBD"), "a" + kFFFD + kFFFD);
  EXPECT_EQ(utf8::to_valid_bytewise("\xE4\xBD\xA0"), "\xE4\xBD\xA0");
}

TEST(Nfc, ComposesReordersAndLeavesNfcAlone) {
  EXPECT_EQ(nfc("Cafe\xCC\x81"), "Caf\xC3\xA9");  // e + acute -> é
  EXPECT_EQ(nfc("\xE2\x84\xAB"), "\xC3\x85");     // Angstrom sign -> Å (singleton)
  EXPECT_EQ(nfc("\xE1\x84\x80\xE1\x85\xA1\xE1\x86\xA8"), "\xEA\xB0\x81");  // jamo -> 각
  EXPECT_EQ(nfc("o\xCC\x88\xCC\xA3"), "\xE1\xBB\x8D\xCC\x88");  // dot below sorts first, composes
  EXPECT_EQ(nfc("q\xCC\xA3\xCC\x87"), "q\xCC\xA3\xCC\x87");     // nothing to compose
  EXPECT_EQ(nfc("\xE0\xA4\xA8\xE0\xA4\xBC"), "\xE0\xA4\xA9");   // na + nukta -> U+0929
  EXPECT_EQ(nfc("\xE0\xA4\x95\xE0\xA4\xBC"), "\xE0\xA4\x95\xE0\xA4\xBC");  // U+0958 is excluded
  EXPECT_EQ(nfc("\xCC\x81"
                "a"),
            "\xCC\x81"
            "a");  // leading mark: no starter
  const std::string ascii = "plain ASCII, \xC3\xA9t\xC3\xA9 and \xE4\xBD\xA0\xE5\xA5\xBD";
  EXPECT_EQ(nfc(ascii), ascii);
}

}  // namespace
}  // namespace ss::text
