// The byte-level tokenizer of the small models we train: ids 0..255 are the bytes themselves,
// 256 = BOS, 257 = EOS. Any byte string round-trips.
#include "text/tokenizer.h"
#include "text/loaders.h"
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

}  // namespace ss::text
