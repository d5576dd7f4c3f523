// GPT-2's reversible byte <-> character mapping (openai/gpt-2 encoder.py bytes_to_unicode; HF
// tokenizers pre_tokenizers/byte_level.rs): printable Latin-1 bytes map to themselves, the other
// 68 bytes to U+0100.. in order, so that every byte string is a string of visible characters.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ss::text::byte_level {

// The UTF-8 encoding of the character that stands for each byte.
std::string encode(std::string_view bytes);

// Inverse of encode() for one token: the bytes, or false when `token` contains a character that
// is not a byte-level character (then `out` is unspecified).
bool decode(std::string_view token, std::string& out);

}  // namespace ss::text::byte_level
