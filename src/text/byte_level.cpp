#include "text/byte_level.h"

#include <array>

#include "text/utf8.h"

namespace ss::text::byte_level {

namespace {

// kMaxChar: the largest character the mapping uses (U+0100 + 67).
constexpr uint32_t kMaxChar = 0x143;

struct Tables {
  std::array<std::string, 256> byte_to_char;
  std::array<int16_t, kMaxChar + 1> char_to_byte;

  Tables() {
    char_to_byte.fill(-1);
    uint32_t next_extra = 0x100;
    for (uint32_t b = 0; b < 256; ++b) {
      bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      uint32_t cp = printable ? b : next_extra++;
      utf8::append(byte_to_char[b], cp);
      char_to_byte[cp] = static_cast<int16_t>(b);
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

std::string encode(std::string_view bytes) {
  const auto& t = tables();
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) out += t.byte_to_char[static_cast<uint8_t>(c)];
  return out;
}

bool decode(std::string_view token, std::string& out) {
  const auto& t = tables();
  out.clear();
  for (size_t i = 0; i < token.size();) {
    if (utf8::sequence_length(token, i) == 0) return false;
    uint32_t cp = utf8::next(token, i);
    if (cp > kMaxChar || t.char_to_byte[cp] < 0) return false;
    out += static_cast<char>(t.char_to_byte[cp]);
  }
  return true;
}

}  // namespace ss::text::byte_level
