#include "text/nfc.h"

#include <algorithm>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "text/utf8.h"

namespace ss::text {

namespace {

struct CombiningRun {
  uint32_t first, last;
  uint8_t ccc;
};
struct Decomposition {
  uint32_t cp, first, second;
  bool composes;
};
#include "text/nfc_tables.inc"

// Hangul syllables decompose and compose arithmetically (Unicode ch. 3.12).
constexpr uint32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr uint32_t kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount,
                   kSCount = kLCount * kNCount;

// Below U+0300 every character is a starter that is already NFC and composes with nothing that
// precedes it (the first combining mark is U+0300): such text is returned unchanged.
constexpr uint32_t kFirstAffected = 0x300;

struct Tables {
  std::unordered_map<uint32_t, const Decomposition*> decomposition;
  std::unordered_map<uint64_t, uint32_t> composition;  // (first << 21 | second) -> composite

  Tables() {
    for (const auto& d : kDecomposition) {
      decomposition.emplace(d.cp, &d);
      if (d.composes) composition.emplace(uint64_t(d.first) << 21 | d.second, d.cp);
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

uint8_t combining_class(uint32_t cp) {
  if (cp < kFirstAffected) return 0;
  auto it = std::upper_bound(std::begin(kCombiningClass), std::end(kCombiningClass), cp,
                             [](uint32_t c, const CombiningRun& r) { return c < r.first; });
  if (it == std::begin(kCombiningClass)) return 0;
  --it;
  return cp <= it->last ? it->ccc : 0;
}

void decompose(uint32_t cp, std::vector<uint32_t>& out) {
  if (cp >= kSBase && cp < kSBase + kSCount) {
    uint32_t s = cp - kSBase;
    out.push_back(kLBase + s / kNCount);
    out.push_back(kVBase + (s % kNCount) / kTCount);
    if (s % kTCount) out.push_back(kTBase + s % kTCount);
    return;
  }
  const auto& map = tables().decomposition;
  auto it = map.find(cp);
  if (it == map.end()) {
    out.push_back(cp);
    return;
  }
  decompose(it->second->first, out);
  if (it->second->second) decompose(it->second->second, out);
}

// The primary composite of (a, b), or 0.
uint32_t compose(uint32_t a, uint32_t b) {
  if (a >= kLBase && a < kLBase + kLCount && b >= kVBase && b < kVBase + kVCount)
    return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
  if (a >= kSBase && a < kSBase + kSCount && (a - kSBase) % kTCount == 0 && b > kTBase &&
      b < kTBase + kTCount)
    return a + (b - kTBase);
  const auto& map = tables().composition;
  auto it = map.find(uint64_t(a) << 21 | b);
  return it == map.end() ? 0 : it->second;
}

}  // namespace

std::string nfc(std::string_view text) {
  if (std::all_of(text.begin(), text.end(), [](char c) { return uint8_t(c) < 0xCC; }))
    return std::string(text);  // all code points < U+0300 (U+0300 is encoded 0xCC 0x80)

  std::vector<uint32_t> cps;
  cps.reserve(text.size());
  for (size_t i = 0; i < text.size();) decompose(utf8::next(text, i), cps);

  // Canonical ordering: stable sort of each run of non-starters by combining class.
  for (size_t i = 0; i < cps.size();) {
    if (combining_class(cps[i]) == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < cps.size() && combining_class(cps[j]) != 0) ++j;
    std::stable_sort(cps.begin() + i, cps.begin() + j, [](uint32_t a, uint32_t b) {
      return combining_class(a) < combining_class(b);
    });
    i = j;
  }

  // Canonical composition: each character joins the last starter unless a character between
  // them has a combining class of 0 or >= its own ("blocked").
  std::vector<uint32_t> out;
  out.reserve(cps.size());
  size_t starter = SIZE_MAX;
  uint8_t last_ccc = 0;
  for (uint32_t cp : cps) {
    uint8_t ccc = combining_class(cp);
    if (starter != SIZE_MAX) {
      bool adjacent = starter + 1 == out.size();
      bool blocked = !adjacent && (last_ccc == 0 || last_ccc >= ccc);
      if (!blocked) {
        if (uint32_t c = compose(out[starter], cp)) {
          out[starter] = c;
          continue;
        }
      }
    }
    if (ccc == 0) starter = out.size();
    last_ccc = ccc;
    out.push_back(cp);
  }

  std::string result;
  result.reserve(text.size());
  for (uint32_t cp : out) utf8::append(result, cp);
  return result;
}

}  // namespace ss::text
