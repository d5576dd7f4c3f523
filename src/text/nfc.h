// Unicode Normalization Form C, for the HF "NFC" normalizer (Qwen2/Qwen3 tokenizers). The HF
// reference calls unicode-normalization-rs, transformers.js calls String.prototype.normalize.
#pragma once

#include <string>
#include <string_view>

namespace ss::text {

// NFC of valid UTF-8 text (canonical decomposition, canonical ordering, canonical composition;
// Unicode Standard Annex #15). Unicode data version: see nfc_tables.inc.
std::string nfc(std::string_view text);

}  // namespace ss::text
