// The probe sequences the LM sink metrics run on (Gu et al. Table 1 conditions, llm-sinks.md §2.5):
// consecutive chunks of natural text, uniformly random tokens, or one token repeated. Every sequence
// is `prefix` (the model's sink token, then BOS when used) followed by content, seq_len ids in all,
// and the set is identified by an FNV-1a hash of its ids so reports from different runs compare.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "text/tokenizer.h"

namespace ss::probe {

enum class ProbeKind { Natural, Random, Repeat };
ProbeKind probe_kind_from_name(const std::string& name);  // natural | random | repeat; else ss::UsageError
const char* probe_kind_name(ProbeKind k);

struct ProbeSetOptions {
  ProbeKind kind = ProbeKind::Natural;
  int64_t seq_len = 64, count = 100;  // Gu's defaults: T = 64, 100 sequences
  uint64_t seed = 0;                  // random / repeat
  std::vector<int64_t> prefix;        // ids at the start of every sequence, counted in seq_len
  std::vector<int64_t> exclude;       // ids random / repeat never draw (BOS, EOS, the sink token)
};

struct ProbeSet {
  std::vector<std::vector<int64_t>> sequences;
  std::string hash;  // "fnv1a64:<16 hex digits>" over every id as 4 little-endian bytes, in order
};

// Natural: `text_ids` cut into consecutive chunks of seq_len - prefix ids (ss::Error when there are
// not enough). Random / repeat: ids drawn uniformly from [0, vocab) minus `exclude` with a
// mt19937_64 seeded by `seed` (the same sets on every platform).
ProbeSet make_probe_set(const ProbeSetOptions& o, int64_t vocab, const std::vector<int64_t>& text_ids = {});

// Token ids (no special tokens) of the start of a text file, at least `needed` of them when the file
// has that many: the file is read in growing line-aligned prefixes instead of tokenizing all of it.
std::vector<int64_t> tokenize_file_start(const std::filesystem::path& file, const text::Tokenizer& tok,
                                         int64_t needed);

std::string fnv1a_hash(const std::vector<std::vector<int64_t>>& sequences);

}  // namespace ss::probe
