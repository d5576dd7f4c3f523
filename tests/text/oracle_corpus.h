// The strings the oracle test sends through both transformers.js and our tokenizers: every
// script and shape the pre-tokenizer regexes and byte fallbacks distinguish, special-token
// strings of all families, and invalid UTF-8 (each side sees it with U+FFFD substituted per
// maximal subpart: the WHATWG TextDecoder in node, utf8::to_valid in encode()).
#pragma once

#include <string>
#include <vector>

namespace ss::test {

struct OracleText {
  std::string text;
  // decode(encode(text)) gives the text back in every family. Not so for special-token strings
  // (Llama-2's decoder strips the space after "<s>" only at the very start) nor for U+2581
  // (SentencePiece-style normalizers make spaces of it, and it decodes as a space).
  bool round_trips;
};

inline std::vector<OracleText> oracle_corpus() {
  return {
      {"", true},
      {" ", true},
      {"Hello world", true},
      {"   leading and trailing spaces   ", true},
      {"The quick brown fox jumps over the lazy dog.", true},
      // accents, precomposed and decomposed (e + U+0301, i + U+0308), Angstrom sign, jamo
      {"Caf\xC3\xA9 na\xC3\xAFve r\xC3\xA9sum\xC3\xA9 \xE2\x80\x94 d\xC3\xA9j\xC3\xA0 vu, "
       "\xC3\x86r\xC3\xB8sk\xC3\xB8"
       "bing, Stra\xC3\x9F"
       "e",
       true},
      {"Cafe\xCC\x81 nai\xCC\x88ve \xE2\x84\xAB \xE1\x84\x80\xE1\x85\xA1\xE1\x86\xA8 "
       "o\xCC\x88\xCC\xA3 q\xCC\xA3\xCC\x87",
       true},
      // CJK, Hangul, Cyrillic, Greek, Arabic, Hebrew, Devanagari
      {"\xE4\xBD\xA0\xE5\xA5\xBD\xEF\xBC\x8C\xE4\xB8\x96\xE7\x95\x8C\xEF\xBC\x81\xE8\xBF\x99\xE6"
       "\x98\xAF\xE4\xB8\x80\xE4\xB8\xAA\xE6\xB5\x8B\xE8\xAF\x95\xE3\x80\x82\xE6\x97\xA5\xE6\x9C"
       "\xAC\xE8\xAA\x9E\xE3\x81\xAE\xE3\x83\x86\xE3\x82\xAD\xE3\x82\xB9\xE3\x83\x88\xE3\x80\x82"
       " \xED\x95\x9C\xEA\xB5\xAD\xEC\x96\xB4 \xEB\xAC\xB8\xEC\x9E\xA5",
       true},
      {"\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82 \xD0\xBC\xD0\xB8\xD1\x80! \xCE\x93\xCE"
       "\xB5\xCE\xB9\xCE\xAC \xCF\x83\xCE\xBF\xCF\x85 \xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7 "
       "\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D \xE0\xA4\xB9\xE0\xA4\xBF\xE0\xA4\xA8\xE0\xA5\x8D\xE0\xA4"
       "\xA6\xE0\xA5\x80",
       true},
      // emoji: plain, skin tone, ZWJ family, flag
      {"emoji \xF0\x9F\xA6\x99\xF0\x9F\x94\xA5\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD family "
       "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7 flag "
       "\xF0\x9F\x87\xAB\xF0\x9F\x87\xB7!",
       true},
      // whitespace runs, tabs, newlines, CRLF, NBSP / thin / ideographic spaces
      {"a  b   c    d\t\te\n\nf \n g", true},
      {"line1\nline2\r\nline3\ttabbed\n\n\n", true},
      {"\n \n  \n\t \n", true},
      {"a\xC2\xA0"
       "b\xE2\x80\x89"
       "c\xE3\x80\x80"
       "d",
       true},
      // digits
      {"1234567 and 3.14159, 1,000,000 - 2024-01-01 12345678901234567890", true},
      // contractions, both cases
      {"don't I'll we've they're she'd it's I'M DON'T You'LL", true},
      // code with braces and indentation
      {"int main() {\n    if (x > 0) {\n        return x * 2;\n    }\n\treturn -1; // done\n}\n",
       true},
      {"def f(a, b):\n    \"\"\"doc\"\"\"\n    return {'k': [a, b]}\n\n\nclass A:\n  pass\n", true},
      {"!!! ??? ... --- *** ### @@@ $$$ %%% ^^^ &&& ((( ))) <<< >>>", true},
      {"https://example.com/path?q=1&r=2#frag mail@example.org C:\\dir\\file.txt", true},
      {"pneumonoultramicroscopicsilicovolcanoconiosis" + std::string(300, 'a') + " end", true},
      // SentencePiece's visible space and a byte-token look-alike as plain text
      {"pre\xE2\x96\x81"
       "fixed \xE2\x96\x81\xE2\x96\x81 text <0x41>",
       false},
      {std::string("nul\0char and \x01\x1F controls", 24), true},
      // special-token strings of the families (plain text for the others)
      {"<|endoftext|>", false},
      {"Hello<|endoftext|> world <|endoftext|><|endoftext|>", false},
      {"<s>Hello</s> <unk> world", false},
      {"<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n", false},
      {"<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>", false},
      {"<|start|>assistant<|channel|>final<|message|>Hi<|end|><|return|>", false},
      {"<tool_call>{\"name\": \"f\"}</tool_call> <|fim_prefix|>x<|fim_suffix|>", false},
      // invalid UTF-8: stray bytes, truncated, overlong, surrogate, above U+10FFFF
      {"bad \xFF byte", true},
      {"truncated \xE4\xBD", true},
      {"overlong \xC0\xAF and surrogate \xED\xA0\x80 end", true},
      {"\x80\x80 lone continuations \xF4\x90\x80\x80 above max \xF0\x9F\xA6", true},
  };
}

}  // namespace ss::test
