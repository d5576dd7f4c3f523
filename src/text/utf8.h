// UTF-8 helpers shared by the tokenizers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ss::text::utf8 {

// Length (1-4) of the well-formed UTF-8 sequence starting at s[i], or 0 when the bytes there are
// not one (overlong forms, surrogates, code points above U+10FFFF and truncated sequences are not).
size_t sequence_length(std::string_view s, size_t i);

bool is_valid(std::string_view s);

// `s` with every ill-formed part replaced by U+FFFD, one per "maximal subpart" (Unicode ch. 3,
// U+FFFD substitution of maximal subparts): the rule of the WHATWG TextDecoder that JavaScript
// tokenizers see and of Rust's String::from_utf8_lossy in HF tokenizers.
std::string to_valid(std::string_view s);

// `s` with one U+FFFD for each byte that does not start a well-formed sequence: SentencePiece's
// rule (normalizer.cc NormalizePrefix, and its decoding of byte pieces).
std::string to_valid_bytewise(std::string_view s);

// The code point at s[i] of a valid string; advances i past it.
uint32_t next(std::string_view s, size_t& i);

void append(std::string& out, uint32_t cp);

}  // namespace ss::text::utf8
