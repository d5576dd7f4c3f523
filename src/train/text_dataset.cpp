#include "train/text_dataset.h"

#include <fstream>
#include <sstream>

#include "util/error.h"

namespace ss::train {
namespace fs = std::filesystem;
namespace {

constexpr uint64_t kChunkOrderTag = 0xC4A2C0DEull;
constexpr uint64_t kOffsetTag = 0x0FF5E7ull;
constexpr uint64_t kValidationTag = 0x7A11DA7Eull;

fs::path resolve(const std::string& p, const std::string& config_file) {
  const fs::path path(p);
  if (path.is_absolute() || config_file.empty()) return path;
  return fs::path(config_file).parent_path() / path;
}

std::string read_text(const fs::path& path, const std::string& key) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(key + ": cannot read " + path.string());
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) throw Error(key + ": error reading " + path.string());
  return s.str();
}

}  // namespace

TextConfig TextConfig::from_json(const nlohmann::json& j, const std::string& config_file) {
  TextConfig c;
  c.where = config_file.empty() ? std::string("data config") : config_file;
  const ConfigReader r(j, c.where);
  r.only({"kind", "files", "tokenizer", "bos", "random_offset", "val_fraction", "seed"});
  const nlohmann::json* files = r.find("files");
  if (!files || !files->is_array() || files->empty()) r.fail("files", "a non-empty array of text file paths");
  for (size_t i = 0; i < files->size(); ++i) {
    if (!(*files)[i].is_string() || (*files)[i].get<std::string>().empty())
      r.fail("files[" + std::to_string(i) + "]", "a path string, got " + (*files)[i].dump());
    c.files.push_back(resolve((*files)[i].get<std::string>(), config_file));
  }
  if (const nlohmann::json* t = r.find("tokenizer")) {
    if (!t->is_string() || t->get<std::string>().empty()) r.fail("tokenizer", "\"byte\" or a tokenizer path");
    c.tokenizer = *t == "byte" ? std::string("byte") : resolve(t->get<std::string>(), config_file).string();
  }
  c.random_offset = r.boolean("random_offset", false);
  c.bos = r.boolean("bos", !c.random_offset);
  // < 1: the training split must keep tokens; 0 is allowed (no validation split).
  c.val_fraction = r.number("val_fraction", c.val_fraction, 0.0, 0.9);
  c.seed = r.seed("seed", c.seed);
  return c;
}

TextDataset::TextDataset(const TextConfig& config, Split split) : config_(config), split_(split) {
  const std::string& where = config.where;
  try {
    tokenizer_ = config.tokenizer == "byte" ? text::make_byte_tokenizer() : text::load_tokenizer(config.tokenizer);
  } catch (const Error& e) {
    throw Error(where + ": data.tokenizer: " + e.what());
  }
  if (config.bos && !tokenizer_->bos_id())
    throw Error(where + ": data.bos: tokenizer " + config.tokenizer + " has no BOS token (set \"bos\": false)");
  for (size_t i = 0; i < config.files.size(); ++i) {
    const std::string key = where + ": data.files[" + std::to_string(i) + "]";
    const std::vector<int32_t> ids = tokenizer_->encode(read_text(config.files[i], key), /*add_special=*/false);
    // The tail of every file is validation, so both splits cover every file's style.
    const auto n = static_cast<int64_t>(ids.size());
    const auto n_val = static_cast<int64_t>(static_cast<double>(n) * config.val_fraction);
    const auto begin = split == Split::Train ? ids.begin() : ids.begin() + (n - n_val);
    const auto end = split == Split::Train ? ids.begin() + (n - n_val) : ids.end();
    stream_.insert(stream_.end(), begin, end);
  }
  if (stream_.empty())
    throw Error(where + ": data: the " + std::string(split_name(split)) + " split has no tokens (files: " +
                std::to_string(config.files.size()) + ", val_fraction " + nlohmann::json(config.val_fraction).dump() +
                ")");
}

std::optional<int64_t> TextDataset::bos() const {
  if (const auto b = tokenizer_->bos_id()) return *b;
  return std::nullopt;
}

std::vector<int64_t> TextDataset::sequence(int64_t index, int64_t length) const {
  if (index < 0) throw Error("text dataset: sequence index " + std::to_string(index) + " is negative");
  const int64_t content = config_.bos ? length - 1 : length;  // stream tokens per sequence
  const auto n = static_cast<int64_t>(stream_.size());
  if (length < 2 || content > n)
    throw Error(config_.where + ": data: the " + split_name(split_) + " split has " + std::to_string(n) +
                " tokens, too few for one sequence of " + std::to_string(length) + " (need >= 2 and " +
                std::to_string(content) + " stream tokens)");
  const uint64_t key = mix64(config_.seed ^ (split_ == Split::Train ? 0 : kValidationTag));
  int64_t start;
  if (config_.random_offset) {
    start = static_cast<int64_t>(CounterRng(key ^ kOffsetTag, static_cast<uint64_t>(index)).below(n - content + 1));
  } else {
    const int64_t chunks = n / content;
    const int64_t epoch = index / chunks;
    const uint64_t chunk = permute_index(static_cast<uint64_t>(index % chunks), static_cast<uint64_t>(chunks),
                                         mix64(key ^ kChunkOrderTag ^ mix64(static_cast<uint64_t>(epoch))));
    start = static_cast<int64_t>(chunk) * content;
  }
  std::vector<int64_t> ids;
  ids.reserve(length);
  if (config_.bos) ids.push_back(*tokenizer_->bos_id());
  ids.insert(ids.end(), stream_.begin() + start, stream_.begin() + start + content);
  return ids;
}

nlohmann::json TextDataset::describe() const {
  nlohmann::json files = nlohmann::json::array();
  for (const auto& f : config_.files) files.push_back(f.string());
  return {{"kind", "text"},
          {"split", split_name(split_)},
          {"files", files},
          {"tokenizer", config_.tokenizer},
          {"tokenizer_kind", tokenizer_->kind()},
          {"vocab", tokenizer_->vocab_size()},
          {"mode", config_.random_offset ? "random_offset" : "packed"},
          {"bos", config_.bos},
          {"val_fraction", config_.val_fraction},
          {"seed", config_.seed},
          {"tokens", stream_.size()},
          {"bos_id", bos() ? nlohmann::json(*bos()) : nlohmann::json(nullptr)}};
}

}  // namespace ss::train
