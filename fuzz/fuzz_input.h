// What every harness shares: how a fuzz input becomes the file(s) a parser expects, and how a
// loaded tokenizer is exercised. Harnesses catch ss::Error only: a parser must refuse bad input
// with that one error type, so any other exception (a stray nlohmann::json or std::out_of_range)
// escapes, aborts, and counts as a finding just like a sanitizer report.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "text/tokenizer.h"
#include "util/error.h"

namespace ss::fuzz {

// Called with every refusal. SS_FUZZ_VERBOSE=1 prints them, to check that the seeds are accepted
// (fuzz_x -runs=0 corpus/x) or to see why a mutated input stops early.
inline void rejected(const Error& e) {
  static const bool verbose = std::getenv("SS_FUZZ_VERBOSE") != nullptr;
  if (verbose) std::fprintf(stderr, "rejected: %s\n", e.what());
}

// A folder of its own per fuzzing process (libFuzzer may run several), inside $SS_FUZZ_SCRATCH
// (fuzz/run.sh makes it on /dev/shm and removes it) or the temp folder: the parsers that only take
// paths then cost a tmpfs write per input instead of a disk write.
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    const char* base = std::getenv("SS_FUZZ_SCRATCH");
    auto d = (base ? std::filesystem::path(base) : std::filesystem::temp_directory_path()) /
             ("sinkscope-fuzz-" + std::to_string(getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

// Writes `bytes` to <scratch>/name and returns that path.
inline std::filesystem::path write_scratch(const std::string& name, std::string_view bytes) {
  auto path = scratch_dir() / name;
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), bytes.size());
  return path;
}

// Splits the input at NUL bytes into at most `parts` pieces (missing ones are empty). JSON and
// text files cannot contain a raw NUL, so "vocab.json \0 merges.txt \0 text" keeps every part a
// plausible file and the mutator free to change each.
inline std::vector<std::string_view> split_nul(const uint8_t* data, size_t size, size_t parts) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> out;
  while (out.size() + 1 < parts) {
    const size_t nul = rest.find('\0');
    if (nul == std::string_view::npos) break;
    out.push_back(rest.substr(0, nul));
    rest.remove_prefix(nul + 1);
  }
  out.push_back(rest);
  out.resize(parts);
  return out;
}

// For binary files, which may contain NULs: byte 0 is a length L, the next L bytes are a text to
// tokenize and the rest is the file.
struct TextAndFile {
  std::string_view text, file;
};
inline TextAndFile split_text_prefix(const uint8_t* data, size_t size) {
  if (size == 0) return {};
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t n = std::min<size_t>(data[0], rest.size());
  return {rest.substr(0, n), rest.substr(n)};
}

// Everything a caller does with a tokenizer, on `text`: encode with and without specials, decode
// the ids back (also skipping specials and step by step, as streaming generation does), look up
// pieces, and decode ids taken from the text's bytes, which include ids the vocabulary lacks.
inline void exercise_tokenizer(const text::Tokenizer& tok, std::string_view text) {
  const std::string s(text);
  for (bool special : {true, false}) {
    const std::vector<int32_t> ids = tok.encode(s, special);
    tok.decode(ids, false);
    tok.decode(ids, true);
    int32_t prev = -1;
    for (int32_t id : ids) {
      tok.decode_step(prev, id);
      tok.piece(id);
      prev = id;
    }
  }
  std::vector<int32_t> raw;
  for (size_t i = 0; i + 1 < s.size(); i += 2)
    raw.push_back(static_cast<int16_t>(uint8_t(s[i]) | uint8_t(s[i + 1]) << 8));
  tok.decode(raw, false);
  tok.decode(raw, true);
  tok.vocab_size();
  tok.bos_id();
  tok.eos_id();
}

// The harness body of the binary tokenizer formats: the input is split by split_text_prefix, the
// file part written as `file_name` and loaded with `load`, and the tokenizer exercised on the text.
template <class Load>
int fuzz_tokenizer_file(const uint8_t* data, size_t size, const char* file_name, Load load) {
  const auto in = split_text_prefix(data, size);
  const auto path = write_scratch(file_name, in.file);
  try {
    exercise_tokenizer(*load(path), in.text);
  } catch (const Error& e) {
    rejected(e);
  }
  return 0;
}

// Reads every byte of a parsed tensor, so a view that points past its buffer is caught by ASan
// here instead of later in a model.
inline uint8_t touch(const uint8_t* data, size_t n) {
  uint8_t acc = 0;
  for (size_t i = 0; i < n; ++i) acc ^= data[i];
  return acc;
}

}  // namespace ss::fuzz
