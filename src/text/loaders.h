// The per-format loaders behind load_tokenizer() (tokenizer.cpp picks one by name and content).
// Each throws ss::Error "<file>: ..." for a malformed or unsupported file.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "text/tokenizer.h"

namespace ss::text {

std::unique_ptr<Tokenizer> load_llama2c(const std::filesystem::path& path);
std::unique_ptr<Tokenizer> load_sentencepiece(const std::filesystem::path& path);
// tokenizer_config.json beside the file, when present, is read too.
std::unique_ptr<Tokenizer> load_hf_json(const std::filesystem::path& path);
std::unique_ptr<Tokenizer> load_gpt2_files(const std::filesystem::path& vocab_json,
                                           const std::filesystem::path& merges_txt);

// Throws ss::Error "<where>: token id N is out of range (vocab size V)" unless 0 <= id < vocab.
void check_token_id(const std::string& where, int32_t id, int32_t vocab);

}  // namespace ss::text
