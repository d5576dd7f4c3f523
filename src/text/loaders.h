// The per-format loaders behind load_tokenizer() (tokenizer.cpp picks one by name and content).
// Each throws ss::Error "<file>: ..." for a malformed or unsupported file.
#pragma once

#include <filesystem>
#include <memory>

#include "text/tokenizer.h"

namespace ss::text {

std::unique_ptr<Tokenizer> load_llama2c(const std::filesystem::path& path);
std::unique_ptr<Tokenizer> load_sentencepiece(const std::filesystem::path& path);
// tokenizer_config.json beside the file, when present, is read too.
std::unique_ptr<Tokenizer> load_hf_json(const std::filesystem::path& path);
std::unique_ptr<Tokenizer> load_gpt2_files(const std::filesystem::path& vocab_json,
                                           const std::filesystem::path& merges_txt);

}  // namespace ss::text
