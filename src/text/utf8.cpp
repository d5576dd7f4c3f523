#include "text/utf8.h"

namespace ss::text::utf8 {

namespace {

// The valid range of the second byte after each lead byte (Unicode Table 3-7, "Well-Formed UTF-8
// Byte Sequences"); later continuation bytes are always 0x80..0xBF. Returns the sequence length,
// 0 for a byte that cannot start a sequence.
size_t lead_info(uint8_t lead, uint8_t& lo, uint8_t& hi) {
  lo = 0x80;
  hi = 0xBF;
  if (lead < 0x80) return 1;
  if (lead < 0xC2) return 0;
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) {
    if (lead == 0xE0) lo = 0xA0;
    if (lead == 0xED) hi = 0x9F;  // no surrogates
    return 3;
  }
  if (lead < 0xF5) {
    if (lead == 0xF0) lo = 0x90;
    if (lead == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
    return 4;
  }
  return 0;
}

// How many bytes from s[i] belong to the (possibly incomplete) sequence started there: the full
// length when well formed, else the maximal subpart (at least 1). `complete` says which.
size_t scan(std::string_view s, size_t i, bool& complete) {
  uint8_t lo, hi;
  size_t need = lead_info(static_cast<uint8_t>(s[i]), lo, hi);
  complete = need != 0;
  if (need <= 1) return 1;
  size_t n = 1;
  for (; n < need; ++n) {
    if (i + n >= s.size()) break;
    auto b = static_cast<uint8_t>(s[i + n]);
    if (b < lo || b > hi) break;
    lo = 0x80;
    hi = 0xBF;
  }
  complete = n == need;
  return n;
}

}  // namespace

size_t sequence_length(std::string_view s, size_t i) {
  bool complete;
  size_t n = scan(s, i, complete);
  return complete ? n : 0;
}

bool is_valid(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t n = sequence_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string to_valid(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    bool complete;
    size_t n = scan(s, i, complete);
    if (complete)
      out.append(s.substr(i, n));
    else
      out += "\xEF\xBF\xBD";
    i += n;
  }
  return out;
}

std::string to_valid_bytewise(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    size_t n = sequence_length(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      n = 1;
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  return out;
}

uint32_t next(std::string_view s, size_t& i) {
  auto b = static_cast<uint8_t>(s[i]);
  if (b < 0x80) {
    ++i;
    return b;
  }
  size_t n = b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
  uint32_t cp = b & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<uint8_t>(s[i + k]) & 0x3F);
  i += n;
  return cp;
}

void append(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace ss::text::utf8
