// Training data as a pure function: sequence `index` of a dataset depends on nothing but the
// dataset's configuration (seed included) and `index`. There is no iterator state, so
//   - exact resume needs only the step counter (the trainer recomputes the indices),
//   - data parallelism needs no sharding: the trainer asks for
//       index = ((step * accum + micro) * world + rank) * batch + b,
//     so 1 process with batch 4 and 2 processes with batch 2 train on the same global batch.
// Implementations: text_dataset.h (tokenized text files), bigram_backcopy.h (the synthetic task of
// Guo et al. 2024 that grows attention sinks in minutes).
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace ss::train {

enum class Split { Train, Validation };
const char* split_name(Split split);

class TokenDataset {
 public:
  virtual ~TokenDataset() = default;
  // Token ids of training sequence `index` (>= 0): exactly `length` (>= 2) ids. The trainer uses
  // length = seq_len + 1: inputs = ids[0, seq_len), targets = ids[1, seq_len]. Deterministic in
  // (configuration, index, length). Throws ss::Error for a negative index or a length the data
  // cannot fill. Const and stateless: safe to call from several threads at once.
  virtual std::vector<int64_t> sequence(int64_t index, int64_t length) const = 0;
  virtual int64_t vocab_size() const = 0;
  // The vocabulary's BOS id (for the model's config.json), if it has one. Whether sequences start
  // with it is the dataset's mode: describe()["bos"] (true/false); describe()["bos_id"] is this id.
  virtual std::optional<int64_t> bos() const = 0;
  // Everything that determines the data, for the model card and the metrics log.
  virtual nlohmann::json describe() const = 0;
};

// `data_config` is the "data" object of a training config: {"kind": "text"|"bigram-backcopy", ...}
// (see text_dataset.h and bigram_backcopy.h for the keys). Relative paths in it are relative to the
// folder of `config_file` ("" = the working directory). Unknown keys and bad values throw ss::Error
// "<config_file>: data.<key>: <what was expected>".
std::unique_ptr<TokenDataset> make_dataset(const nlohmann::json& data_config, Split split,
                                           const std::string& config_file);

// ---- helpers shared by the implementations ---------------------------------------------------

// A counter-based generator: the stream for (key, index) is fixed, so sequences never depend on
// which other sequences were drawn before (splitmix64 finaliser over a Weyl sequence, Steele et
// al. 2014; own bounded/real draws so results do not depend on the standard library's
// distributions, which differ between libstdc++ and libc++).
uint64_t mix64(uint64_t x);
class CounterRng {
 public:
  CounterRng(uint64_t key, uint64_t index) : state_(mix64(key ^ mix64(index + 0x632BE59BD9B4E019ull))) {}
  uint64_t next();
  uint64_t below(uint64_t n);  // uniform in [0, n), n > 0, unbiased (rejection)
  double real();               // uniform in [0, 1), 53 bits

 private:
  uint64_t state_;
};

// The position of `pos` under a pseudo-random permutation of [0, n) chosen by `key`: a 4-round
// Feistel network over the smallest even-bit power-of-two domain >= n, cycle-walked back into
// [0, n) (Black & Rogaway 2002). O(1) memory and expected O(1) time per lookup, so per-epoch
// shuffles of millions of chunks cost nothing to store or to resume.
uint64_t permute_index(uint64_t pos, uint64_t n, uint64_t key);

// Config reading with errors that name the key: "<where>: <section>.<key>: expected <what>".
class ConfigReader {
 public:
  ConfigReader(const nlohmann::json& object, std::string where, std::string section = "data");
  int64_t integer(const std::string& key, int64_t fallback, int64_t min, int64_t max) const;
  uint64_t seed(const std::string& key, uint64_t fallback) const;
  double number(const std::string& key, double fallback, double min, double max) const;
  bool boolean(const std::string& key, bool fallback) const;
  const nlohmann::json* find(const std::string& key) const;  // nullptr when absent
  // Throws unless every key of the object is in `known`.
  void only(const std::vector<std::string>& known) const;
  [[noreturn]] void fail(const std::string& key, const std::string& what) const;

 private:
  const nlohmann::json& j_;
  std::string where_, section_;
};

}  // namespace ss::train
