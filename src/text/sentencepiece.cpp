// SentencePiece .model files (BPE models: Llama/TinyLlama tokenizer.model, llama2.c tok*.model),
// read and run natively. libsentencepiece cannot share a process with Debian's libtorch: it
// carries its own protobuf 3.14 copies with exported symbols, which collide with torch's
// libprotobuf 3.21 whichever is found first. The reference (libsentencepiece 0.1.97 through its
// spm_encode/spm_decode tools) checks this code in tests/text/test_sentencepiece.cpp.
//
// Reproduced: Normalizer::Normalize without a precompiled character map (identity rules:
// remove_extra_whitespaces, escape_whitespaces, add_dummy_prefix, user-defined symbols passed
// through), bpe::Model::SampleEncode (best-score merging, UNUSED pieces re-split), the byte
// fallback and unknown fusing of SentencePieceProcessor::PopulateSentencePieceText, and
// SentencePieceProcessor::Decode. Unigram/word/char models and normalizers that need a charsmap
// (nmt_nfkc, ...) are refused by name.
#include <cstring>
#include <functional>
#include <unordered_map>

#include "io/mmap_file.h"
#include "text/added_tokens.h"
#include "text/bpe.h"
#include "text/loaders.h"
#include "text/protobuf_wire.h"
#include "text/score_merge.h"
#include "text/utf8.h"
#include "util/error.h"

namespace ss::text {

namespace {

constexpr std::string_view kSpaceMark = "\xE2\x96\x81";  // U+2581

// sentencepiece_model.proto
enum PieceType {
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6
};
enum ModelType { kUnigram = 1, kBpe = 2 };  // also WORD = 3, CHAR = 4
constexpr size_t kMaxPieceSize = 8000;  // model_interface.cc

struct Piece {
  std::string text;
  float score = 0;
  int type = kNormal;
};

struct ModelSpec {
  std::vector<Piece> pieces;
  int model_type = kUnigram;
  bool byte_fallback = false, treat_whitespace_as_suffix = false;
  std::string unk_surface = " \xE2\x81\x87 ", bos_piece = "<s>", eos_piece = "</s>";
  std::string normalizer_name;
  bool has_charsmap = false;
  bool add_dummy_prefix = true, remove_extra_whitespaces = true, escape_whitespaces = true;
};

// model_interface.cc PieceToByte: exactly "<0x00>".."<0xFF>" (upper-case hex), else -1.
int piece_byte(std::string_view p) {
  auto hex = [](char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
  };
  if (p.size() != 6 || p.substr(0, 3) != "<0x" || p[5] != '>' || hex(p[3]) < 0 || hex(p[4]) < 0)
    return -1;
  return hex(p[3]) * 16 + hex(p[4]);
}

float as_float(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// `where`: "<file>: not a SentencePiece model (bad protobuf)"; nested messages add where they are.
ModelSpec parse_model(std::string_view data, const std::string& where) {
  ModelSpec m;
  WireReader top(data, where);
  for (WireReader::Field f; top.next(f);) {
    if (f.wire_type != 2) continue;  // every field read here is a nested message
    if (f.number == 1) {
      if (m.pieces.size() >= size_t(BpeModel::kMaxId))
        throw Error(where + ": more than " + std::to_string(BpeModel::kMaxId) + " pieces");
      Piece p;
      WireReader r(f.bytes, where + " in piece " + std::to_string(m.pieces.size()));
      for (WireReader::Field g; r.next(g);) {
        if (g.number == 1 && g.wire_type == 2) p.text = std::string(g.bytes);
        if (g.number == 2 && g.wire_type == 5) p.score = as_float(g.fixed32);
        if (g.number == 3 && g.wire_type == 0) p.type = static_cast<int>(g.varint);
      }
      m.pieces.push_back(std::move(p));
    } else if (f.number == 2) {  // TrainerSpec
      WireReader r(f.bytes, where + " in trainer_spec");
      for (WireReader::Field g; r.next(g);) {
        if (g.number == 3 && g.wire_type == 0) m.model_type = static_cast<int>(g.varint);
        if (g.number == 24 && g.wire_type == 0) m.treat_whitespace_as_suffix = g.varint != 0;
        if (g.number == 35 && g.wire_type == 0) m.byte_fallback = g.varint != 0;
        if (g.number == 44 && g.wire_type == 2) m.unk_surface = std::string(g.bytes);
        if (g.number == 46 && g.wire_type == 2 && !g.bytes.empty())
          m.bos_piece = std::string(g.bytes);
        if (g.number == 47 && g.wire_type == 2 && !g.bytes.empty())
          m.eos_piece = std::string(g.bytes);
      }
    } else if (f.number == 3 || f.number == 5) {  // NormalizerSpec, denormalizer_spec
      WireReader r(f.bytes,
                   where + (f.number == 3 ? " in normalizer_spec" : " in denormalizer_spec"));
      for (WireReader::Field g; r.next(g);) {
        if (g.number == 2 && g.wire_type == 2 && !g.bytes.empty()) m.has_charsmap = true;
        if (f.number == 5) continue;
        if (g.number == 1 && g.wire_type == 2) m.normalizer_name = std::string(g.bytes);
        if (g.number == 3 && g.wire_type == 0) m.add_dummy_prefix = g.varint != 0;
        if (g.number == 4 && g.wire_type == 0) m.remove_extra_whitespaces = g.varint != 0;
        if (g.number == 5 && g.wire_type == 0) m.escape_whitespaces = g.varint != 0;
      }
    }
  }
  return m;
}

class SentencePieceTokenizer : public Tokenizer {
 public:
  SentencePieceTokenizer(ModelSpec spec, std::string where);
  // user_splitter_ refers to user_defined_.
  SentencePieceTokenizer(const SentencePieceTokenizer&) = delete;
  SentencePieceTokenizer& operator=(const SentencePieceTokenizer&) = delete;

  std::vector<int32_t> encode(const std::string& text, bool add_special) const override;
  std::string decode(const std::vector<int32_t>& ids, bool skip_special) const override;
  std::string decode_step(int32_t prev, int32_t id) const override;
  std::string piece(int32_t id) const override {
    check_token_id(where_, id, vocab_size());
    return m_.pieces[id].text;
  }
  int32_t vocab_size() const override { return static_cast<int32_t>(m_.pieces.size()); }
  std::optional<int32_t> bos_id() const override { return bos_; }
  std::optional<int32_t> eos_id() const override { return eos_; }
  std::string kind() const override { return "sentencepiece"; }

 private:
  int type(int32_t id) const { return id >= 0 && id < vocab_size() ? m_.pieces[id].type : 0; }
  std::string normalize(std::string_view text) const;
  // model_interface.cc PieceToId: reserved pieces (control, unknown, byte) first, then the
  // others, else unk.
  int32_t piece_to_id(std::string_view piece) const;
  // A normal piece as text: U+2581 -> ' '; at the start of the text its leading U+2581 is
  // dropped (`dropped` says whether it was).
  std::string surface(int32_t id, bool at_start, bool& dropped) const;

  ModelSpec m_;
  std::string where_;
  std::unordered_map<std::string, int32_t> normal_, reserved_;
  std::vector<AddedToken> user_defined_;
  std::unique_ptr<AddedTokenSplitter> user_splitter_;
  int32_t unk_ = -1;
  int32_t byte_ids_[256];
  std::optional<int32_t> bos_, eos_;
};

SentencePieceTokenizer::SentencePieceTokenizer(ModelSpec spec, std::string where)
    : m_(std::move(spec)), where_(std::move(where)) {
  static const char* kTypes[] = {"", "UNIGRAM", "BPE", "WORD", "CHAR"};
  if (m_.model_type != kBpe)
    throw Error(where_ + ": model type " +
                (m_.model_type >= 1 && m_.model_type <= 4 ? kTypes[m_.model_type]
                                                          : std::to_string(m_.model_type)) +
                " is not supported (only BPE)");
  if (m_.has_charsmap)
    throw Error(where_ + ": normalizer \"" + m_.normalizer_name +
                "\" uses a precompiled character map, which is not supported (only identity)");
  if (m_.treat_whitespace_as_suffix)
    throw Error(where_ + ": treat_whitespace_as_suffix is not supported");

  std::fill(std::begin(byte_ids_), std::end(byte_ids_), -1);
  for (size_t i = 0; i < m_.pieces.size(); ++i) {
    const Piece& p = m_.pieces[i];
    const std::string ctx = where_ + ": piece " + std::to_string(i);
    const auto id = static_cast<int32_t>(i);
    if (p.text.empty() || p.text.size() >= kMaxPieceSize || p.text.find('\0') != std::string::npos)
      throw Error(ctx + " is empty, too long or contains NUL");
    if (p.type < kNormal || p.type > kByte)
      throw Error(ctx + " has type " + std::to_string(p.type) + " (expected 1..6)");
    const bool reserved = p.type == kUnknown || p.type == kControl || p.type == kByte;
    if (!(reserved ? reserved_ : normal_).emplace(p.text, id).second)
      throw Error(ctx + " \"" + p.text + "\" is already defined");
    if (p.type == kUnknown) {
      if (unk_ >= 0) throw Error(ctx + ": a second unknown piece");
      unk_ = id;
    }
    if (p.type == kUserDefined) {
      if (p.text.size() > AddedTokenSplitter::kMaxLength)
        throw Error(ctx + ": user-defined piece longer than 256 bytes");
      user_defined_.push_back({p.text, id});
    }
    if (p.type == kByte) {
      if (!m_.byte_fallback) throw Error(ctx + " is a byte piece but byte_fallback is false");
      const int b = piece_byte(p.text);
      if (b < 0) throw Error(ctx + " \"" + p.text + "\" is not a byte piece <0xXX>");
      byte_ids_[b] = id;
    }
  }
  if (unk_ < 0) throw Error(where_ + ": has no unknown piece");
  if (m_.byte_fallback)
    for (int b = 0; b < 256; ++b)
      if (byte_ids_[b] < 0)
        throw Error(where_ + ": byte_fallback is on but there is no byte piece " +
                    std::to_string(b));
  user_splitter_ = std::make_unique<AddedTokenSplitter>(user_defined_);
  // SentencePieceProcessor::bos_id/eos_id: the piece, when it is a control symbol.
  for (auto [name, out] : {std::pair{&m_.bos_piece, &bos_}, std::pair{&m_.eos_piece, &eos_}}) {
    auto it = reserved_.find(*name);
    if (it != reserved_.end() && m_.pieces[it->second].type == kControl) *out = it->second;
  }
}

int32_t SentencePieceTokenizer::piece_to_id(std::string_view piece) const {
  const std::string key(piece);
  if (auto it = reserved_.find(key); it != reserved_.end()) return it->second;
  if (auto it = normal_.find(key); it != normal_.end()) return it->second;
  return unk_;
}

// normalizer.cc Normalizer::Normalize with no character map. The text is read in units: a
// user-defined symbol, else one character (an ill-formed byte counts as U+FFFD).
std::string SentencePieceTokenizer::normalize(std::string_view input) const {
  const std::string valid = utf8::to_valid_bytewise(input);
  std::vector<std::string_view> units;
  for (const auto& section : user_splitter_->split(valid)) {
    if (section.token >= 0) {
      units.push_back(section.text);
      continue;
    }
    for (size_t i = 0; i < section.text.size();) {
      size_t n = utf8::sequence_length(section.text, i);
      units.push_back(section.text.substr(i, n));
      i += n;
    }
  }
  const bool remove = m_.remove_extra_whitespaces;
  const std::string_view space = m_.escape_whitespaces ? kSpaceMark : " ";
  size_t u = 0;
  if (remove)
    while (u < units.size() && units[u] == " ") ++u;  // heading spaces
  if (u == units.size()) return "";

  std::string out;
  if (m_.add_dummy_prefix) out += space;
  bool prev_space = remove;
  for (; u < units.size(); ++u) {
    std::string_view sp = units[u];
    while (prev_space && !sp.empty() && sp[0] == ' ') sp.remove_prefix(1);
    if (!sp.empty()) {
      for (char c : sp) {
        if (c == ' ')
          out += space;
        else
          out += c;
      }
      prev_space = sp.back() == ' ';
    }
    if (!remove) prev_space = false;
  }
  if (remove)
    while (out.size() >= space.size() &&
           out.compare(out.size() - space.size(), space.size(), space) == 0)
      out.resize(out.size() - space.size());  // trailing spaces
  return out;
}

std::vector<int32_t> SentencePieceTokenizer::encode(const std::string& text,
                                                    bool add_special) const {
  std::vector<int32_t> ids;
  if (add_special && bos_) ids.push_back(*bos_);
  const std::string normalized = normalize(text);

  // One symbol per user-defined symbol (never merged) or character.
  std::vector<MergeSymbol> symbols;
  for (const auto& section : user_splitter_->split(normalized)) {
    if (section.token >= 0) {
      symbols.push_back({section.text, user_defined_[section.token].id, true});
      continue;
    }
    for (size_t i = 0; i < section.text.size();) {
      size_t n = utf8::sequence_length(section.text, i);
      symbols.push_back({section.text.substr(i, n)});
      i += n;
    }
  }
  // Pieces of type UNUSED may be formed but are then split back into the two symbols they were
  // made of (the last pair recorded for that text, like the reference's rev_merge map).
  std::unordered_map<std::string_view, std::pair<std::string_view, std::string_view>> unmerge;
  merge_by_score(symbols,
                 [&](std::string_view l, std::string_view r) -> std::optional<ScoredPiece> {
                   std::string_view joined(
                       l.data(), l.size() + r.size());  // symbols are adjacent in `normalized`
                   auto it = normal_.find(std::string(joined));
                   if (it == normal_.end()) return std::nullopt;
                   if (m_.pieces[it->second].type == kUnused) unmerge[joined] = {l, r};
                   return ScoredPiece{it->second, m_.pieces[it->second].score, joined};
                 });

  std::vector<std::string_view> pieces;
  std::function<void(std::string_view)> resegment = [&](std::string_view w) {
    auto it = unmerge.find(w);
    if (type(piece_to_id(w)) != kUnused || it == unmerge.end()) return pieces.push_back(w);
    resegment(it->second.first);
    resegment(it->second.second);
  };
  for (const auto& s : symbols) resegment(s.text);

  // sentencepiece_processor.cc PopulateSentencePieceText: unknown pieces become their bytes
  // with byte_fallback, else a run of them becomes one unknown id.
  bool prev_unk = false;
  for (std::string_view w : pieces) {
    const int32_t id = piece_to_id(w);
    const bool unk = id == unk_;
    if (unk && m_.byte_fallback) {
      for (char c : w) ids.push_back(byte_ids_[static_cast<uint8_t>(c)]);
    } else if (!(unk && prev_unk)) {
      ids.push_back(id);
    }
    prev_unk = unk;
  }
  return ids;
}

std::string SentencePieceTokenizer::surface(int32_t id, bool at_start, bool& dropped) const {
  std::string_view p = m_.pieces[id].text;
  dropped = at_start && (m_.add_dummy_prefix || m_.remove_extra_whitespaces) &&
            p.substr(0, 3) == kSpaceMark;
  if (dropped) p.remove_prefix(3);
  std::string out;
  for (size_t pos = 0;;) {
    size_t hit = p.find(kSpaceMark, pos);
    out.append(p.substr(pos, hit - pos));
    if (hit == std::string_view::npos) return out;
    out += ' ';
    pos = hit + 3;
  }
}

// sentencepiece_processor.cc Decode: control symbols are invisible whatever skip_special says;
// runs of byte pieces become their characters, U+FFFD per byte that starts none. The leading
// U+2581 is dropped from the first piece and, with remove_extra_whitespaces, from every piece
// until something has been written.
std::string SentencePieceTokenizer::decode(const std::vector<int32_t>& ids,
                                           bool /*skip_special*/) const {
  std::string text, bytes;
  auto flush = [&] {
    text += utf8::to_valid_bytewise(bytes);
    bytes.clear();
  };
  bool at_start = true, space_dropped = false;
  for (int32_t id : ids) {
    const int t = type(id);
    if (t == 0) continue;  // no such id
    if (t == kByte) {
      bytes += static_cast<char>(piece_byte(m_.pieces[id].text));
      continue;
    }
    flush();
    if (space_dropped || !text.empty()) at_start = false;
    space_dropped = false;
    if (t == kUnknown) {
      text += m_.unk_surface;
    } else if (t != kControl) {
      bool dropped;
      text += surface(id, at_start, dropped);
      space_dropped = dropped && !m_.remove_extra_whitespaces;
    }
  }
  flush();
  return text;
}

// A stream starts where nothing or a control symbol came before; byte pieces pass as raw bytes.
std::string SentencePieceTokenizer::decode_step(int32_t prev, int32_t id) const {
  const int t = type(id);
  if (t == 0 || t == kControl) return "";
  if (t == kByte) return std::string(1, static_cast<char>(piece_byte(m_.pieces[id].text)));
  if (t == kUnknown) return m_.unk_surface;
  const int pt = type(prev);
  bool dropped;
  return surface(id, pt == 0 || pt == kControl, dropped);
}

}  // namespace

std::unique_ptr<Tokenizer> load_sentencepiece(const std::filesystem::path& path) {
  auto file = io::MmapFile::open(path.string());
  std::string_view data(reinterpret_cast<const char*>(file->data()), file->size());
  ModelSpec spec = parse_model(data, path.string() + ": not a SentencePiece model (bad protobuf)");
  if (spec.pieces.empty()) throw Error(path.string() + ": not a SentencePiece model (no pieces)");
  return std::make_unique<SentencePieceTokenizer>(std::move(spec), path.string());
}

}  // namespace ss::text
