#include "probe/probe_sets.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <random>

#include "util/error.h"

namespace ss::probe {

ProbeKind probe_kind_from_name(const std::string& name) {
  if (name == "natural") return ProbeKind::Natural;
  if (name == "random") return ProbeKind::Random;
  if (name == "repeat") return ProbeKind::Repeat;
  throw UsageError("--probe: expected natural, random or repeat, got '" + name + "'");
}

const char* probe_kind_name(ProbeKind k) {
  switch (k) {
    case ProbeKind::Natural: return "natural";
    case ProbeKind::Random: return "random";
    case ProbeKind::Repeat: return "repeat";
  }
  return "?";
}

std::string fnv1a_hash(const std::vector<std::vector<int64_t>>& sequences) {
  uint64_t h = 14695981039346656037ull;
  for (const auto& s : sequences)
    for (int64_t id : s)
      for (int b = 0; b < 4; ++b) {
        h ^= static_cast<uint64_t>((static_cast<uint32_t>(id) >> (8 * b)) & 0xff);
        h *= 1099511628211ull;
      }
  char buf[32];
  std::snprintf(buf, sizeof buf, "fnv1a64:%016llx", static_cast<unsigned long long>(h));
  return buf;
}

ProbeSet make_probe_set(const ProbeSetOptions& o, int64_t vocab, const std::vector<int64_t>& text_ids) {
  const int64_t P = static_cast<int64_t>(o.prefix.size()), content = o.seq_len - P;
  if (o.seq_len < 2) throw UsageError("--seq-len must be >= 2, got " + std::to_string(o.seq_len));
  if (o.count <= 0) throw UsageError("--num-seqs must be > 0, got " + std::to_string(o.count));
  if (content < 1)
    throw UsageError("--seq-len " + std::to_string(o.seq_len) + " leaves no room after the " + std::to_string(P) +
                     " prefix token(s)");
  ProbeSet set;
  if (o.kind == ProbeKind::Natural) {
    const int64_t have = static_cast<int64_t>(text_ids.size()) / content;
    if (have < o.count)
      throw Error("the text gives only " + std::to_string(have) + " chunks of " + std::to_string(content) +
                  " tokens; need " + std::to_string(o.count) + " (lower --num-seqs or --seq-len, or give a longer text)");
    for (int64_t i = 0; i < o.count; ++i) {
      std::vector<int64_t> s = o.prefix;
      s.insert(s.end(), text_ids.begin() + i * content, text_ids.begin() + (i + 1) * content);
      set.sequences.push_back(std::move(s));
    }
  } else {
    std::vector<int64_t> pool;
    for (int64_t id = 0; id < vocab; ++id)
      if (std::find(o.exclude.begin(), o.exclude.end(), id) == o.exclude.end()) pool.push_back(id);
    if (pool.empty()) throw Error("the vocabulary has no ordinary tokens to draw from");
    std::mt19937_64 rng(o.seed);
    // rng() % n: the bias is below 2^-50 for any vocabulary, and unlike std::uniform_int_distribution
    // the draws are the same with every standard library.
    auto draw = [&] { return pool[static_cast<size_t>(rng() % pool.size())]; };
    for (int64_t i = 0; i < o.count; ++i) {
      std::vector<int64_t> s = o.prefix;
      const int64_t repeated = draw();
      for (int64_t t = 0; t < content; ++t) s.push_back(o.kind == ProbeKind::Repeat ? repeated : draw());
      set.sequences.push_back(std::move(s));
    }
  }
  set.hash = fnv1a_hash(set.sequences);
  return set;
}

std::vector<int64_t> tokenize_file_start(const std::filesystem::path& file, const text::Tokenizer& tok,
                                         int64_t needed) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(file.string() + ": cannot open");
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  // A few bytes per token for any tokenizer; grow until enough (or the whole file) is tokenized.
  size_t bytes = static_cast<size_t>(std::max<int64_t>(needed, 1)) * 8;
  for (;;) {
    size_t end = text.size();
    if (bytes < text.size()) {
      const size_t nl = text.find('\n', bytes);
      end = nl == std::string::npos ? text.size() : nl + 1;
    }
    std::vector<int64_t> ids;
    for (int32_t id : tok.encode(text.substr(0, end), false)) ids.push_back(id);
    if (static_cast<int64_t>(ids.size()) >= needed || end == text.size()) return ids;
    bytes *= 2;
  }
}

}  // namespace ss::probe
