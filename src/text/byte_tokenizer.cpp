// The byte-level tokenizer of the small models we train: ids 0..255 are the bytes themselves,
// 256 = BOS, 257 = EOS. Any byte string round-trips.
#include <nlohmann/json.hpp>

#include "text/byte_level.h"
#include "text/loaders.h"
#include "text/tokenizer.h"
#include "util/error.h"

namespace ss::text {

namespace {

constexpr int32_t kBos = 256, kEos = 257, kVocab = 258;

class ByteTokenizer : public Tokenizer {
 public:
  std::vector<int32_t> encode(const std::string& text, bool add_special) const override {
    std::vector<int32_t> ids;
    ids.reserve(text.size() + 1);
    if (add_special) ids.push_back(kBos);
    for (char c : text) ids.push_back(static_cast<unsigned char>(c));
    return ids;
  }
  std::string decode(const std::vector<int32_t>& ids, bool skip_special) const override {
    std::string out;
    for (int32_t id : ids)
      if (id >= 0 && id < kVocab && !(skip_special && id >= kBos)) out += piece(id);
    return out;
  }
  std::string decode_step(int32_t /*prev*/, int32_t id) const override {
    return id >= 0 && id < kVocab ? piece(id) : std::string();
  }
  std::string piece(int32_t id) const override {
    if (id == kBos) return "<s>";
    if (id == kEos) return "</s>";
    check_token_id("byte tokenizer", id, kVocab);
    return std::string(1, static_cast<char>(id));
  }
  int32_t vocab_size() const override { return kVocab; }
  std::optional<int32_t> bos_id() const override { return kBos; }
  std::optional<int32_t> eos_id() const override { return kEos; }
  std::string kind() const override { return "byte"; }
};

}  // namespace

std::unique_ptr<Tokenizer> make_byte_tokenizer() { return std::make_unique<ByteTokenizer>(); }

nlohmann::json byte_tokenizer_json() {
  // A byte-level BPE without merges: GPT-2's byte-to-character map gives one vocabulary entry per
  // byte, id = byte value; BOS/EOS are added tokens and the template adds BOS to every sequence.
  nlohmann::json vocab = nlohmann::json::object();
  for (int b = 0; b < 256; ++b) vocab[byte_level::encode(std::string(1, static_cast<char>(b)))] = b;
  vocab["<s>"] = kBos;
  vocab["</s>"] = kEos;
  auto added = [](int32_t id, const char* content) {
    return nlohmann::json{{"id", id},          {"content", content}, {"single_word", false}, {"lstrip", false},
                          {"rstrip", false},   {"normalized", false}, {"special", true}};
  };
  const nlohmann::json byte_level = {
      {"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false}, {"use_regex", false}};
  return {{"version", "1.0"},
          {"truncation", nullptr},
          {"padding", nullptr},
          {"added_tokens", {added(kBos, "<s>"), added(kEos, "</s>")}},
          {"normalizer", nullptr},
          {"pre_tokenizer", byte_level},
          {"post_processor",
           {{"type", "TemplateProcessing"},
            {"single", {{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}}, {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}},
            {"pair",
             {{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}},
              {{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
              {{"Sequence", {{"id", "B"}, {"type_id", 1}}}}}},
            {"special_tokens", {{"<s>", {{"id", "<s>"}, {"ids", {kBos}}, {"tokens", {"<s>"}}}}}}}},
          {"decoder", byte_level},
          {"model",
           {{"type", "BPE"},
            {"dropout", nullptr},
            {"unk_token", nullptr},
            {"continuing_subword_prefix", nullptr},
            {"end_of_word_suffix", nullptr},
            {"fuse_unk", false},
            {"byte_fallback", false},
            {"ignore_merges", false},
            {"vocab", vocab},
            {"merges", nlohmann::json::array()}}}};
}

}  // namespace ss::text
