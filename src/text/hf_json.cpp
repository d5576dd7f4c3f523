// HF tokenizer.json (+ tokenizer_config.json) -> HfPipeline. Component names and fields follow the
// serde forms of huggingface/tokenizers; anything the pipeline does not implement is refused with
// its name rather than silently tokenizing differently.
#include <tuple>
#include <unordered_set>

#include "io/json_strict.h"
#include "io/mmap_file.h"
#include "text/hf_tokenizer.h"
#include "text/loaders.h"
#include "util/error.h"

namespace ss::text {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// Real files nest components a few levels deep (Sequence inside Sequence at most).
constexpr int kMaxJsonDepth = 32;

class Reader {
 public:
  explicit Reader(std::string where) : where_(std::move(where)) {}

  [[noreturn]] void fail(const std::string& what) const { throw Error(where_ + ": " + what); }

  // J is json or const json: the loader moves strings out of the document it no longer needs.
  template <class J>
  J& object(J& parent, const char* key, const std::string& ctx) const {
    auto it = parent.find(key);
    if (it == parent.end() || !it->is_object()) fail(ctx + " has no \"" + key + "\" object");
    return *it;
  }
  template <class J>
  J& array(J& parent, const char* key, const std::string& ctx) const {
    auto it = parent.find(key);
    if (it == parent.end() || !it->is_array()) fail(ctx + " has no \"" + key + "\" array");
    return *it;
  }
  std::string string(const json& parent, const char* key, const std::string& ctx) const {
    auto it = parent.find(key);
    if (it == parent.end() || !it->is_string()) fail(ctx + " has no \"" + key + "\" string");
    return it->get<std::string>();
  }
  // A string member that may be absent or null.
  std::optional<std::string> opt_string(const json& parent, const char* key,
                                        const std::string& ctx) const {
    auto it = parent.find(key);
    if (it == parent.end() || it->is_null()) return std::nullopt;
    if (!it->is_string()) fail(ctx + " \"" + key + "\" is not a string");
    return it->get<std::string>();
  }
  bool boolean(const json& parent, const char* key, bool fallback, const std::string& ctx) const {
    auto it = parent.find(key);
    if (it == parent.end() || it->is_null()) return fallback;
    if (!it->is_boolean()) fail(ctx + " \"" + key + "\" is not true/false");
    return it->get<bool>();
  }
  int32_t id(const json& v, const std::string& ctx) const {
    if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() >= BpeModel::kMaxId)
      fail(ctx + " is not an id in 0.." + std::to_string(BpeModel::kMaxId - 1) + " (got " +
           v.dump(-1, ' ', false, json::error_handler_t::replace) + ")");
    return static_cast<int32_t>(v.get<int64_t>());
  }
  // The literal of a {"String": ...} pattern; a {"Regex": ...} one is refused.
  std::string literal_pattern(const json& c, const std::string& ctx) const {
    const json& p = object(c, "pattern", ctx);
    if (p.contains("Regex")) fail(ctx + " with a Regex pattern is not supported (only String)");
    return string(p, "String", ctx + " pattern");
  }

 private:
  std::string where_;
};

std::string type_of(const Reader& r, const json& c, const std::string& what) {
  if (!c.is_object()) r.fail(what + " is not an object");
  return r.string(c, "type", what);
}

void parse_normalizer(const Reader& r, const json& c, std::vector<HfNormalizer>& out) {
  std::string type = type_of(r, c, "normalizer");
  if (type == "Sequence") {
    for (const auto& sub : r.array(c, "normalizers", "normalizer Sequence"))
      parse_normalizer(r, sub, out);
  } else if (type == "NFC") {
    out.push_back({HfNormalizer::kNFC, "", ""});
  } else if (type == "Prepend") {
    out.push_back({HfNormalizer::kPrepend, "", r.string(c, "prepend", "normalizer Prepend")});
  } else if (type == "Replace") {
    out.push_back({HfNormalizer::kReplace, r.literal_pattern(c, "normalizer Replace"),
                   r.string(c, "content", "normalizer Replace")});
  } else {
    r.fail("normalizer \"" + type +
           "\" is not supported (supported: NFC, Prepend, Replace, Sequence)");
  }
}

void parse_pre_tokenizer(const Reader& r, const json& c, const std::string& where,
                         std::vector<HfPreTokenizer>& out) {
  std::string type = type_of(r, c, "pre_tokenizer");
  if (type == "Sequence") {
    for (const auto& sub : r.array(c, "pretokenizers", "pre_tokenizer Sequence"))
      parse_pre_tokenizer(r, sub, where, out);
  } else if (type == "ByteLevel") {
    HfPreTokenizer p{HfPreTokenizer::kByteLevel};
    p.add_prefix_space = r.boolean(c, "add_prefix_space", true, "pre_tokenizer ByteLevel");
    if (r.boolean(c, "use_regex", true, "pre_tokenizer ByteLevel"))
      p.regex = std::make_shared<Regex>(kGpt2Pattern, where + ": ByteLevel regex");
    out.push_back(std::move(p));
  } else if (type == "Split") {
    const std::string ctx = "pre_tokenizer Split";
    std::string behavior = r.string(c, "behavior", ctx);
    if (behavior != "Isolated")
      r.fail(ctx + " behavior \"" + behavior + "\" is not supported (only Isolated)");
    if (r.boolean(c, "invert", false, ctx)) r.fail(ctx + " with invert true is not supported");
    const json& pattern = r.object(c, "pattern", ctx);
    if (pattern.contains("String"))
      r.fail(ctx + " with a String pattern is not supported (only Regex)");
    HfPreTokenizer p{HfPreTokenizer::kSplit};
    p.regex = std::make_shared<Regex>(r.string(pattern, "Regex", ctx + " pattern"),
                                      where + ": " + ctx + " regex");
    out.push_back(std::move(p));
  } else {
    r.fail("pre_tokenizer \"" + type +
           "\" is not supported (supported: ByteLevel, Split, Sequence)");
  }
}

void parse_decoder(const Reader& r, const json& c, std::vector<HfDecoder>& out) {
  std::string type = type_of(r, c, "decoder");
  if (type == "Sequence") {
    for (const auto& sub : r.array(c, "decoders", "decoder Sequence")) parse_decoder(r, sub, out);
  } else if (type == "ByteLevel") {
    out.push_back({HfDecoder::kByteLevel});
  } else if (type == "ByteFallback") {
    out.push_back({HfDecoder::kByteFallback});
  } else if (type == "Fuse") {
    out.push_back({HfDecoder::kFuse});
  } else if (type == "Replace") {
    HfDecoder d{HfDecoder::kReplace};
    d.pattern = r.literal_pattern(c, "decoder Replace");
    d.content = r.string(c, "content", "decoder Replace");
    out.push_back(std::move(d));
  } else if (type == "Strip") {
    HfDecoder d{HfDecoder::kStrip};
    d.content = r.string(c, "content", "decoder Strip");
    auto count = [&](const char* key) {
      auto it = c.find(key);
      if (it == c.end() || !it->is_number_unsigned() || it->get<uint64_t>() > 1024)
        r.fail(std::string("decoder Strip \"") + key + "\" is not a count in 0..1024");
      return static_cast<int>(it->get<uint64_t>());
    };
    d.start = count("start");
    d.stop = count("stop");
    if (d.content.empty()) r.fail("decoder Strip \"content\" is empty (expected one character)");
    out.push_back(std::move(d));
  } else {
    r.fail(
        "decoder \"" + type +
        "\" is not supported (supported: ByteLevel, ByteFallback, Fuse, Replace, Strip, Sequence)");
  }
}

// What a single sequence gets around it: post_processors/template.rs (TemplateProcessing.single)
// and sequence.rs; ByteLevel changes only offsets.
void parse_post_processor(const Reader& r, const json& c, std::vector<int32_t>& prefix,
                          std::vector<int32_t>& suffix) {
  std::string type = type_of(r, c, "post_processor");
  if (type == "Sequence") {
    for (const auto& sub : r.array(c, "processors", "post_processor Sequence"))
      parse_post_processor(r, sub, prefix, suffix);
  } else if (type == "ByteLevel") {
  } else if (type == "TemplateProcessing") {
    const std::string ctx = "post_processor TemplateProcessing";
    const json& specials = r.object(c, "special_tokens", ctx);
    std::vector<int32_t> before, after;
    bool seen_a = false;
    for (const auto& item : r.array(c, "single", ctx)) {
      if (item.is_object() && item.contains("Sequence")) {
        const json& seq = r.object(item, "Sequence", ctx + " single item");
        if (r.string(seq, "id", ctx + " Sequence") != "A" || seen_a)
          r.fail(ctx + " single template must contain sequence A once");
        seen_a = true;
      } else if (item.is_object() && item.contains("SpecialToken")) {
        std::string name =
            r.string(r.object(item, "SpecialToken", ctx), "id", ctx + " SpecialToken");
        auto it = specials.find(name);
        if (it == specials.end() || !it->is_object())
          r.fail(ctx + " uses special token \"" + name + "\" missing from special_tokens");
        for (const auto& v : r.array(*it, "ids", ctx + " special_tokens \"" + name + "\"")) {
          (seen_a ? after : before).push_back(r.id(v, ctx + " special_tokens \"" + name + "\" id"));
        }
      } else {
        r.fail(ctx + " single item is neither Sequence nor SpecialToken");
      }
    }
    if (!seen_a) r.fail(ctx + " single template must contain sequence A once");
    prefix.insert(prefix.begin(), before.begin(), before.end());
    suffix.insert(suffix.end(), after.begin(), after.end());
  } else {
    r.fail("post_processor \"" + type +
           "\" is not supported (supported: TemplateProcessing, ByteLevel, Sequence)");
  }
}

// Moves the strings out of `list`, which is not needed afterwards.
std::vector<std::pair<std::string, std::string>> parse_merges(const Reader& r, json& list) {
  std::vector<std::pair<std::string, std::string>> merges;
  merges.reserve(list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    json& m = list[i];
    if (m.is_string()) {
      // The pre-0.20 form "a b": exactly one space (model.rs convert_merges_to_hashmap).
      const std::string& s = m.get_ref<const std::string&>();
      size_t sp = s.find(' ');
      if (sp == std::string::npos || s.find(' ', sp + 1) != std::string::npos)
        r.fail("model merges[" + std::to_string(i) + "] \"" + s + "\" is not \"a b\"");
      merges.emplace_back(s.substr(0, sp), s.substr(sp + 1));
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      merges.emplace_back(std::move(m[0].get_ref<std::string&>()),
                          std::move(m[1].get_ref<std::string&>()));
    } else {
      r.fail("model merges[" + std::to_string(i) + "] is neither \"a b\" nor [\"a\", \"b\"]");
    }
  }
  return merges;
}

std::unique_ptr<BpeModel> parse_model(const Reader& r, json& model, const std::string& where) {
  auto type = r.opt_string(model, "type", "model");
  if (!type) r.fail("model has no \"type\" (expected \"BPE\")");
  if (*type != "BPE") r.fail("model type \"" + *type + "\" is not supported (expected \"BPE\")");
  if (auto it = model.find("dropout");
      it != model.end() && !it->is_null() && !(it->is_number() && it->get<double>() == 0))
    r.fail("model dropout is not supported (expected null)");
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"})
    if (auto v = r.opt_string(model, key, "model"); v && !v->empty())
      r.fail(std::string("model ") + key + " \"" + *v + "\" is not supported (expected empty)");

  std::unordered_map<std::string, int32_t> vocab;
  const json& v = r.object(model, "vocab", "model");
  vocab.reserve(v.size());
  for (auto it = v.begin(); it != v.end(); ++it)
    vocab.emplace(it.key(), r.id(it.value(), "model vocab \"" + it.key() + "\""));

  BpeOptions options;
  options.unk_token = r.opt_string(model, "unk_token", "model");
  options.byte_fallback = r.boolean(model, "byte_fallback", false, "model");
  options.fuse_unk = r.boolean(model, "fuse_unk", false, "model");
  options.ignore_merges = r.boolean(model, "ignore_merges", false, "model");
  return std::make_unique<BpeModel>(std::move(vocab),
                                    parse_merges(r, r.array(model, "merges", "model")),
                                    std::move(options), where);
}

std::vector<AddedToken> parse_added(const Reader& r, const json& root) {
  std::vector<AddedToken> added;
  auto it = root.find("added_tokens");
  if (it == root.end() || it->is_null()) return added;
  if (!it->is_array()) r.fail("added_tokens is not an array");
  std::unordered_set<int32_t> ids;
  for (size_t i = 0; i < it->size(); ++i) {
    const json& t = (*it)[i];
    std::string ctx = "added_tokens[" + std::to_string(i) + "]";
    if (!t.is_object()) r.fail(ctx + " is not an object");
    AddedToken a;
    a.content = r.string(t, "content", ctx);
    if (a.content.empty() || a.content.size() > AddedTokenSplitter::kMaxLength)
      r.fail(ctx + " content has " + std::to_string(a.content.size()) + " bytes (expected 1.." +
             std::to_string(AddedTokenSplitter::kMaxLength) + ")");
    a.id = r.id(t.contains("id") ? t["id"] : json(), ctx + " id");
    if (!ids.insert(a.id).second) r.fail(ctx + " repeats id " + std::to_string(a.id));
    a.special = r.boolean(t, "special", false, ctx);
    a.lstrip = r.boolean(t, "lstrip", false, ctx);
    a.rstrip = r.boolean(t, "rstrip", false, ctx);
    if (r.boolean(t, "single_word", false, ctx)) r.fail(ctx + " single_word true is not supported");
    // "normalized" is not consulted: tokens are matched on the raw text, as transformers.js does.
    added.push_back(std::move(a));
  }
  return added;
}

// tokenizer_config.json's bos_token/eos_token: a string, {"content": ...} or null.
std::optional<std::string> config_token(const Reader& r, const json& cfg, const char* key) {
  auto it = cfg.find(key);
  if (it == cfg.end() || it->is_null()) return std::nullopt;
  if (it->is_object()) return r.string(*it, "content", key);
  if (!it->is_string()) r.fail(std::string(key) + " is neither a string nor {\"content\": ...}");
  return it->get<std::string>();
}

json read_json(const fs::path& path, const std::string& what) {
  auto file = io::MmapFile::open(path.string());
  return io::parse_json_strict(reinterpret_cast<const char*>(file->data()), file->size(),
                               path.string(), what, kMaxJsonDepth);
}

}  // namespace

std::unique_ptr<Tokenizer> load_hf_json(const fs::path& path) {
  const std::string where = path.string();
  Reader r(where);
  json root = read_json(path, "tokenizer.json");
  if (!root.is_object()) r.fail("is not a JSON object (expected a HF tokenizer.json)");
  if (!root.contains("model"))
    r.fail(
        "has no \"model\" (expected a HF tokenizer.json; a GPT-2 vocab.json needs merges.txt "
        "beside it)");

  HfPipeline p;
  p.kind = "hf-bpe";
  p.where = where;
  p.model = parse_model(r, r.object(root, "model", "tokenizer.json"), where);
  p.added = parse_added(r, root);
  root["model"] = nullptr;  // the vocab and merges now live in the model; free the JSON copy

  auto find_id = [&](const std::string& token) -> std::optional<int32_t> {
    for (const auto& a : p.added)
      if (a.content == token) return a.id;
    return p.model->id(token);
  };

  if (auto it = root.find("normalizer"); it != root.end() && !it->is_null())
    parse_normalizer(r, *it, p.normalizers);
  if (auto it = root.find("pre_tokenizer"); it != root.end() && !it->is_null())
    parse_pre_tokenizer(r, *it, where, p.pre_tokenizers);
  if (auto it = root.find("post_processor"); it != root.end() && !it->is_null())
    parse_post_processor(r, *it, p.prefix, p.suffix);
  for (const auto* ids : {&p.prefix, &p.suffix})
    for (int32_t id : *ids) {
      bool known = p.model->token(id) != nullptr;
      for (const auto& a : p.added) known = known || a.id == id;
      if (!known) r.fail("post_processor adds id " + std::to_string(id) + ", which has no token");
    }
  if (auto it = root.find("decoder"); it != root.end() && !it->is_null()) {
    p.decoders.emplace();
    parse_decoder(r, *it, *p.decoders);
  }
  // "truncation" and "padding" concern batches of fixed length; encode() never truncates.

  if (!p.prefix.empty()) p.bos = p.prefix.front();
  const fs::path config_path = path.parent_path() / "tokenizer_config.json";
  if (fs::exists(config_path)) {
    Reader rc(config_path.string());
    json cfg = read_json(config_path, "tokenizer_config.json");
    if (!cfg.is_object()) rc.fail("is not a JSON object");
    auto resolve = [&](const char* key) -> std::optional<int32_t> {
      auto name = config_token(rc, cfg, key);
      if (!name) return std::nullopt;
      auto id = find_id(*name);
      if (!id) rc.fail(std::string(key) + " \"" + *name + "\" is not a token of " + where);
      return id;
    };
    p.bos = resolve("bos_token");
    p.eos = resolve("eos_token");
    // Explicit add_bos_token/add_eos_token rebuild the template around the sequence, as
    // transformers' LlamaTokenizerFast.update_post_processor does.
    if (cfg.contains("add_bos_token") || cfg.contains("add_eos_token")) {
      p.prefix.clear();
      p.suffix.clear();
      for (auto [key, id, out] : {std::tuple{"add_bos_token", p.bos, &p.prefix},
                                  std::tuple{"add_eos_token", p.eos, &p.suffix}}) {
        if (!rc.boolean(cfg, key, false, "tokenizer_config.json")) continue;
        if (!id) rc.fail(std::string(key) + " is true but there is no such token");
        out->push_back(*id);
      }
    }
  }
  return std::make_unique<HfTokenizer>(std::move(p));
}

}  // namespace ss::text
