#include "train/dataset.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "train/bigram_backcopy.h"
#include "train/text_dataset.h"
#include "util/error.h"

namespace ss::train {

const char* split_name(Split split) { return split == Split::Train ? "train" : "validation"; }

uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t CounterRng::next() { return mix64(state_ += 0x9E3779B97F4A7C15ull); }

uint64_t CounterRng::below(uint64_t n) {
  if (n == 0) throw Error("CounterRng::below: empty range");
  // Reject the top partial block of [0, 2^64) so every residue is equally likely.
  const uint64_t limit = std::numeric_limits<uint64_t>::max() - std::numeric_limits<uint64_t>::max() % n;
  uint64_t x;
  do x = next();
  while (x >= limit);
  return x % n;
}

double CounterRng::real() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

uint64_t permute_index(uint64_t pos, uint64_t n, uint64_t key) {
  if (pos >= n) throw Error("permute_index: position " + std::to_string(pos) + " outside [0, " + std::to_string(n) + ")");
  if (n == 1) return 0;
  int half = 1;  // bits per Feistel half: the domain 2^(2*half) is the smallest such power >= n
  while (half < 32 && (uint64_t{1} << (2 * half)) < n) ++half;
  const uint64_t mask = (uint64_t{1} << half) - 1;
  uint64_t x = pos;
  do {  // cycle walking: re-encrypt until the value lands in [0, n); terminates as x's cycle contains pos
    uint64_t left = x >> half, right = x & mask;
    for (uint64_t round = 0; round < 4; ++round) {
      const uint64_t f = mix64(right ^ mix64(key + round * 0xD1B54A32D192ED03ull)) & mask;
      const uint64_t next_right = left ^ f;
      left = right;
      right = next_right;
    }
    x = (left << half) | right;
  } while (x >= n);
  return x;
}

// ---- ConfigReader ---------------------------------------------------------------------------

ConfigReader::ConfigReader(const nlohmann::json& object, std::string where, std::string section)
    : j_(object), where_(std::move(where)), section_(std::move(section)) {
  if (!j_.is_object())
    throw Error(where_ + ": " + section_ + ": expected an object" +
                (section_ == "data" ? " like {\"kind\": \"text\", ...}" : ""));
}

void ConfigReader::fail(const std::string& key, const std::string& what) const {
  throw Error(where_ + ": " + section_ + "." + key + ": expected " + what);
}

const nlohmann::json* ConfigReader::find(const std::string& key) const {
  const auto it = j_.find(key);
  return it == j_.end() ? nullptr : &*it;
}

int64_t ConfigReader::integer(const std::string& key, int64_t fallback, int64_t min, int64_t max) const {
  const nlohmann::json* v = find(key);
  if (!v) return fallback;
  const std::string range = "an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]";
  if (!v->is_number_integer()) fail(key, range + ", got " + v->dump());
  if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(max)) fail(key, range + ", got " + v->dump());
  const int64_t x = v->get<int64_t>();
  if (x < min || x > max) fail(key, range + ", got " + v->dump());
  return x;
}

uint64_t ConfigReader::seed(const std::string& key, uint64_t fallback) const {
  const nlohmann::json* v = find(key);
  if (!v) return fallback;
  if (!v->is_number_integer() || (!v->is_number_unsigned() && v->get<int64_t>() < 0))
    fail(key, "a non-negative integer seed, got " + v->dump());
  return v->get<uint64_t>();
}

double ConfigReader::number(const std::string& key, double fallback, double min, double max) const {
  const nlohmann::json* v = find(key);
  if (!v) return fallback;
  const double x = v->is_number() ? v->get<double>() : std::nan("");
  if (!(x >= min && x <= max))
    fail(key, "a number in [" + nlohmann::json(min).dump() + ", " + nlohmann::json(max).dump() + "], got " + v->dump());
  return x;
}

bool ConfigReader::boolean(const std::string& key, bool fallback) const {
  const nlohmann::json* v = find(key);
  if (!v) return fallback;
  if (!v->is_boolean()) fail(key, "true or false, got " + v->dump());
  return v->get<bool>();
}

void ConfigReader::only(const std::vector<std::string>& known) const {
  for (const auto& kv : j_.items()) {
    if (std::find(known.begin(), known.end(), kv.key()) != known.end()) continue;
    std::string list;
    for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
    throw Error(where_ + ": " + section_ + "." + kv.key() + ": unknown key (known: " + list + ")");
  }
}

std::unique_ptr<TokenDataset> make_dataset(const nlohmann::json& data_config, Split split,
                                           const std::string& config_file) {
  const std::string where = config_file.empty() ? std::string("data config") : config_file;
  const ConfigReader r(data_config, where);
  const nlohmann::json* kind = r.find("kind");
  if (!kind || !kind->is_string()) r.fail("kind", "\"text\" or \"bigram-backcopy\"");
  const std::string k = kind->get<std::string>();
  if (k == "text") return std::make_unique<TextDataset>(TextConfig::from_json(data_config, config_file), split);
  if (k == "bigram-backcopy")
    return std::make_unique<BigramBackcopy>(BigramBackcopyConfig::from_json(data_config, where), split);
  r.fail("kind", "\"text\" or \"bigram-backcopy\", got \"" + k + "\"");
}

}  // namespace ss::train
