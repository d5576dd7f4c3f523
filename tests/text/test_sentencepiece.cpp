// SentencePiece .model files: our reader against libsentencepiece itself, run out of process
// through Debian's spm_encode/spm_decode (the library cannot share a process with libtorch, see
// src/text/sentencepiece.cpp), and tok512.model against tok512.bin (llama2.c's export of the
// same vocabulary) on TinyStories.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <sstream>

#include "common/assets.h"
#include "oracle_corpus.h"
#include "text/tokenizer.h"
#include "text_test_util.h"

namespace ss::text {
namespace {

namespace fs = std::filesystem;

const char* kModel = "models/stories260K/tok512.model";
const char* kBin = "models/stories260K/tok512.bin";
const char* kStories = "data/tinystories_val.txt";

bool have_spm() {
  return std::system(
             "command -v spm_encode >/dev/null 2>&1 && command -v spm_decode >/dev/null 2>&1") == 0;
}

#define REQUIRE_SPM()                                                                      \
  if (!have_spm())                                                                         \
  GTEST_SKIP() << "spm_encode/spm_decode not found: the libsentencepiece reference needs " \
                  "Debian's sentencepiece package (scripts/setup.sh installs it)"

// Runs an spm tool over one input line per entry (files in the test's scratch folder `dir`);
// returns its output lines.
std::vector<std::string> run_spm(const fs::path& dir, const std::string& tool_args,
                                 const std::vector<std::string>& lines) {
  std::string input;
  for (const auto& l : lines) input += l + "\n";
  test::write_file(dir / "in.txt", input);
  const std::string cmd = tool_args + " --input='" + (dir / "in.txt").string() + "' --output='" +
                          (dir / "out.txt").string() + "' 2> '" + (dir / "err.txt").string() + "'";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd << "\n" << test::read_file(dir / "err.txt");
  std::vector<std::string> out;
  std::istringstream in(test::read_file(dir / "out.txt"));
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::vector<int32_t> parse_ids(const std::string& line) {
  std::vector<int32_t> ids;
  std::istringstream in(line);
  for (int32_t id; in >> id;) ids.push_back(id);
  return ids;
}

std::string join_ids(const std::vector<int32_t>& ids) {
  std::string s;
  for (int32_t id : ids) s += (s.empty() ? "" : " ") + std::to_string(id);
  return s;
}

// Lines for spm_encode (one text per line): TinyStories plus the oracle corpus cut at newlines.
std::vector<std::string> reference_lines() {
  std::vector<std::string> lines = test::read_lines(test::asset(kStories), 2000);
  for (const auto& c : test::oracle_corpus()) {
    std::istringstream in(c.text);
    for (std::string l; std::getline(in, l);)
      if (l.find('\0') == std::string::npos && l.find('\r') == std::string::npos)
        lines.push_back(l);
  }
  return lines;
}

// Ids and text from our reader equal libsentencepiece's on every line, and decoding those ids
// (and some odd id sequences) gives libsentencepiece's text.
void expect_matches_spm(const fs::path& dir, const fs::path& model,
                        const std::vector<std::string>& lines) {
  auto tok = load_tokenizer(model);
  const auto want =
      run_spm(dir, "spm_encode --output_format=id --model='" + model.string() + "'", lines);
  ASSERT_EQ(want.size(), lines.size());
  std::vector<std::string> id_lines;
  size_t same = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::vector<int32_t> ids = tok->encode(lines[i], false);
    EXPECT_EQ(join_ids(ids), want[i]) << "encode: " << lines[i];
    same += join_ids(ids) == want[i];
    id_lines.push_back(want[i]);
  }
  std::printf("[ spm      ] %s: ids identical to spm_encode on %zu/%zu lines\n",
              model.filename().c_str(), same, lines.size());
  // Odd sequences: control symbols in the middle, lone and invalid byte runs, unknown.
  for (int32_t n = 0; n < std::min(tok->vocab_size(), 8); ++n)
    id_lines.push_back(std::to_string(n) + " " + want[0]);
  const auto decoded =
      run_spm(dir, "spm_decode --input_format=id --model='" + model.string() + "'", id_lines);
  ASSERT_EQ(decoded.size(), id_lines.size());
  for (size_t i = 0; i < id_lines.size(); ++i)
    EXPECT_EQ(tok->decode(parse_ids(id_lines[i])), decoded[i]) << "decode: " << id_lines[i];
}

TEST(SentencePiece, LoadsTok512Model) {
  SS_REQUIRE_ASSET(kModel);
  auto sp = load_tokenizer(test::asset(kModel));
  EXPECT_EQ(sp->kind(), "sentencepiece");
  EXPECT_EQ(sp->vocab_size(), 512);
  EXPECT_EQ(sp->bos_id(), 1);
  EXPECT_EQ(sp->eos_id(), 2);
  EXPECT_EQ(sp->piece(1), "<s>");
  EXPECT_SS_ERROR(sp->piece(-1), "out of range");
  const std::string text = "Once upon a time, Lily saw a cat.";
  std::vector<int32_t> ids = sp->encode(text, true);
  EXPECT_EQ(ids.front(), 1);
  EXPECT_EQ(sp->decode(ids), text);
  std::string streamed;
  for (size_t i = 1; i < ids.size(); ++i) streamed += sp->decode_step(ids[i - 1], ids[i]);
  EXPECT_EQ(streamed, text);
  // Byte pieces stream as raw bytes that join into the character.
  ids = sp->encode("\xE4\xBD\xA0", false);
  streamed.clear();
  for (size_t i = 0; i < ids.size(); ++i) streamed += sp->decode_step(i ? ids[i - 1] : -1, ids[i]);
  EXPECT_EQ(streamed, "\xE4\xBD\xA0");
  EXPECT_EQ(sp->decode(ids), "\xE4\xBD\xA0");
  EXPECT_TRUE(sp->encode("", false).empty());
  EXPECT_TRUE(sp->encode("   ", false).empty());
}

TEST(SentencePiece, Tok512MatchesLibsentencepiece) {
  SS_REQUIRE_ASSET(kModel);
  SS_REQUIRE_ASSET(kStories);
  REQUIRE_SPM();
  expect_matches_spm(test::scratch_dir(), test::asset(kModel), reference_lines());
}

// SentencePiece's normalizer with remove_extra_whitespaces (on in tok512.model, as spm_train
// defaults it): no leading or trailing spaces, runs of spaces become one.
std::string remove_extra_spaces(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// Both files hold the same vocabulary and scores, and llama2.c's encoder is SentencePiece's BPE
// minus the normalizer. The one principled difference on TinyStories is that whitespace rule:
// lines differ exactly when they have extra spaces, and agree id for id once llama2.c gets the
// text with them removed. The reference side is libsentencepiece (spm_encode).
TEST(SentencePiece, Tok512AgreesWithLlama2cOnTinyStories) {
  SS_REQUIRE_ASSET(kModel);
  SS_REQUIRE_ASSET(kBin);
  SS_REQUIRE_ASSET(kStories);
  REQUIRE_SPM();
  auto l2c = load_tokenizer(test::asset(kBin));
  const auto lines = test::read_lines(test::asset(kStories), 2000);
  const auto spm = run_spm(
      test::scratch_dir(),
      "spm_encode --output_format=id --model='" + test::asset(kModel).string() + "'", lines);
  ASSERT_EQ(spm.size(), lines.size());
  size_t with_extra_spaces = 0, mismatches = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string normalized = remove_extra_spaces(lines[i]);
    with_extra_spaces += normalized != lines[i];
    const std::string want = spm[i];
    bool ok = join_ids(l2c->encode(normalized, false)) == want &&
              (join_ids(l2c->encode(lines[i], false)) == want) == (normalized == lines[i]);
    if (!ok && ++mismatches <= 5) ADD_FAILURE() << "differ on: " << lines[i];
  }
  EXPECT_EQ(mismatches, 0u);
  EXPECT_GT(with_extra_spaces, 0u);  // the rule was exercised
  std::printf(
      "[ spm      ] tok512.bin vs tok512.model: %zu lines identical, %zu identical after removing "
      "extra spaces\n",
      lines.size() - with_extra_spaces, with_extra_spaces);
}

// A hand-made model in protobuf wire format, for what tok512 does not have.
std::string varint(uint64_t v) {
  std::string s;
  for (; v >= 0x80; v >>= 7) s += static_cast<char>(v | 0x80);
  return s + static_cast<char>(v);
}
std::string field_varint(int n, uint64_t v) { return varint(uint64_t(n) << 3) + varint(v); }
std::string field_bytes(int n, const std::string& b) {
  return varint(uint64_t(n) << 3 | 2) + varint(b.size()) + b;
}
std::string piece(const std::string& text, float score, int type) {
  std::string f(4, '\0');
  std::memcpy(&f[0], &score, 4);
  return field_bytes(1, field_bytes(1, text) + varint(2 << 3 | 5) + f + field_varint(3, type));
}

struct ModelOptions {
  int model_type = 2;
  bool byte_fallback = false;
  bool remove_extra_whitespaces = false;
  std::string charsmap;
  std::vector<std::string> extra_pieces;  // already encoded
};

// <unk> <s> </s>, user-defined "<sep>", pieces over "abc" and U+2581, "▁ab" unused.
std::string tiny_model(const ModelOptions& o) {
  const std::string s = "\xE2\x96\x81";
  std::string m =
      piece("<unk>", 0, 2) + piece("<s>", 0, 3) + piece("</s>", 0, 3) + piece("<sep>", 0, 4);
  for (const auto& [t, score, type] :
       std::vector<std::tuple<std::string, float, int>>{{s + "a", -1, 1},
                                                        {"ab", -2, 1},
                                                        {s + "ab", -0.5f, 5},
                                                        {s + "abc", -3, 1},
                                                        {"bc", -2, 1},
                                                        {s + s, -4, 1},
                                                        {s, -10, 1},
                                                        {"a", -11, 1},
                                                        {"b", -12, 1},
                                                        {"c", -13, 1}})
    m += piece(t, score, type);
  for (const auto& p : o.extra_pieces) m += p;
  if (o.byte_fallback)
    for (int b = 0; b < 256; ++b) {
      char name[8];
      std::snprintf(name, sizeof name, "<0x%02X>", b);
      m += piece(name, 0, 6);
    }
  m += field_bytes(2, field_varint(3, o.model_type) + field_varint(35, o.byte_fallback));
  m += field_bytes(3, field_bytes(1, "identity") + field_bytes(2, o.charsmap) +
                          field_varint(4, o.remove_extra_whitespaces));
  return m;
}

TEST(SentencePiece, HandMadeModelsMatchLibsentencepiece) {
  REQUIRE_SPM();
  const fs::path dir = test::scratch_dir();
  const std::vector<std::string> lines = {"abc",
                                          "ab",
                                          "a b c",
                                          "abcabc ab<sep>ab",
                                          "<sep><sep>x",
                                          "  a  b  ",
                                          "xyz\xE4\xBD\xA0 a",
                                          "bad \xFF\xE4\xBD z",
                                          "\xE2\x96\x81"
                                          "a"};
  for (bool fallback : {false, true})
    for (bool remove : {false, true}) {
      SCOPED_TRACE("byte_fallback " + std::to_string(fallback) + ", remove_extra_whitespaces " +
                   std::to_string(remove));
      ModelOptions o;
      o.byte_fallback = fallback;
      o.remove_extra_whitespaces = remove;
      const fs::path model =
          dir / ("tiny" + std::to_string(fallback) + std::to_string(remove) + ".model");
      test::write_file(model, tiny_model(o));
      expect_matches_spm(dir, model, lines);
    }
}

TEST(SentencePiece, MalformedModels) {
  SS_REQUIRE_ASSET(kModel);
  const fs::path dir = test::scratch_dir();
  auto write = [&](const std::string& name, const std::string& bytes) {
    test::write_file(dir / name, bytes);
    return dir / name;
  };
  EXPECT_SS_ERROR(load_tokenizer(write("text.model", "this is not a protobuf")), "text.model",
                  "not a SentencePiece model");
  EXPECT_SS_ERROR(load_tokenizer(write("empty.model", "")), "empty.model", "no pieces");
  const std::string good = test::read_file(test::asset(kModel));
  EXPECT_SS_ERROR(load_tokenizer(write("trunc.model", good.substr(0, good.size() / 2))),
                  "trunc.model", "not a SentencePiece model", "truncated");
  ModelOptions unigram;
  unigram.model_type = 1;
  EXPECT_SS_ERROR(load_tokenizer(write("uni.model", tiny_model(unigram))), "model type UNIGRAM",
                  "only BPE");
  ModelOptions charsmap;
  charsmap.charsmap = "\x04\0\0\0abcd";
  EXPECT_SS_ERROR(load_tokenizer(write("nfkc.model", tiny_model(charsmap))),
                  "precompiled character map");
  ModelOptions dup;
  dup.extra_pieces = {piece("ab", -5, 1)};
  EXPECT_SS_ERROR(load_tokenizer(write("dup.model", tiny_model(dup))), "\"ab\" is already defined");
  ModelOptions stray_byte;
  stray_byte.extra_pieces = {piece("<0x41>", 0, 6)};
  EXPECT_SS_ERROR(load_tokenizer(write("byte.model", tiny_model(stray_byte))),
                  "byte_fallback is false");
  // A length prefix far past the end of the file.
  EXPECT_SS_ERROR(load_tokenizer(write("len.model",
                                       "\x0a\xff\xff\xff\xff\x0f"
                                       "abc")),
                  "len.model", "left");
}

}  // namespace
}  // namespace ss::text
