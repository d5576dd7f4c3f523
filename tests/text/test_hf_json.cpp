// HF tokenizer.json: the pipeline pieces on small hand-written files (added-token stripping,
// templates, tokenizer_config overrides, decoders), and malformed or unsupported files.
// (Real files of five families are checked against transformers.js in test_oracle.cpp.)
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/assets.h"
#include "text/tokenizer.h"
#include "text_test_util.h"

namespace ss::text {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const std::string kMark = "\xE2\x96\x81";  // U+2581

// A Llama-2-like pipeline over a tiny vocabulary.
json spm_style() {
  json vocab = {{"<unk>", 0},   {"<s>", 1},       {"</s>", 2},   {kMark, 3},        {"a", 4},
                {"b", 5},       {kMark + "a", 6}, {"ab", 7},     {kMark + "ab", 8}, {"<0x41>", 9},
                {"<0xE4>", 10}, {"<0xBD>", 11},   {"<0xA0>", 12}};
  return {
      {"version", "1.0"},
      {"added_tokens", json::array({{{"id", 0}, {"content", "<unk>"}, {"special", true}},
                                    {{"id", 1}, {"content", "<s>"}, {"special", true}},
                                    {{"id", 2}, {"content", "</s>"}, {"special", true}},
                                    {{"id", 13},
                                     {"content", "<mask>"},
                                     {"special", false},
                                     {"lstrip", true},
                                     {"rstrip", true}}})},
      {"normalizer",
       {{"type", "Sequence"},
        {"normalizers",
         json::array(
             {{{"type", "Prepend"}, {"prepend", kMark}},
              {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", kMark}}})}}},
      {"pre_tokenizer", nullptr},
      {"post_processor",
       {{"type", "TemplateProcessing"},
        {"single", json::array({{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}},
                                {{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
                                {{"SpecialToken", {{"id", "</s>"}, {"type_id", 0}}}}})},
        {"special_tokens",
         {{"<s>", {{"id", "<s>"}, {"ids", {1}}, {"tokens", {"<s>"}}}},
          {"</s>", {{"id", "</s>"}, {"ids", {2}}, {"tokens", {"</s>"}}}}}}}},
      {"decoder",
       {{"type", "Sequence"},
        {"decoders",
         json::array({{{"type", "Replace"}, {"pattern", {{"String", kMark}}}, {"content", " "}},
                      {{"type", "ByteFallback"}},
                      {{"type", "Fuse"}},
                      {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}})}}},
      {"model",
       {{"type", "BPE"},
        {"dropout", nullptr},
        {"unk_token", "<unk>"},
        {"fuse_unk", true},
        {"byte_fallback", true},
        {"vocab", vocab},
        {"merges", json::array({kMark + " a", "a b", kMark + "a b"})}}},
  };
}

fs::path write_json(const fs::path& dir, const json& tokenizer, const json* config = nullptr) {
  fs::create_directories(dir);
  test::write_file(dir / "tokenizer.json", tokenizer.dump());
  if (config) test::write_file(dir / "tokenizer_config.json", config->dump());
  return dir / "tokenizer.json";
}

TEST(HfJson, SentencePieceStylePipeline) {
  const fs::path dir = test::scratch_dir();
  auto tok = load_tokenizer(write_json(dir, spm_style()));
  EXPECT_EQ(tok->kind(), "hf-bpe");
  EXPECT_EQ(tok->vocab_size(), 14);
  EXPECT_EQ(tok->bos_id(), 1);  // no tokenizer_config.json: the template's first token
  EXPECT_EQ(tok->eos_id(), std::nullopt);
  // "ab ab": ▁ab ▁ab, inside <s> ... </s>.
  EXPECT_EQ(tok->encode("ab ab"), (std::vector<int32_t>{1, 8, 8, 2}));
  EXPECT_EQ(tok->encode("ab ab", false), (std::vector<int32_t>{8, 8}));
  // Unknown characters: byte pieces when all exist (U+4F60), else one fused <unk>.
  EXPECT_EQ(tok->encode("\xE4\xBD\xA0", false), (std::vector<int32_t>{3, 10, 11, 12}));
  EXPECT_EQ(tok->encode("xyz", false), (std::vector<int32_t>{3, 0}));
  EXPECT_EQ(tok->decode({1, 8, 3, 10, 11, 12, 2}), "<s> ab \xE4\xBD\xA0</s>");
  EXPECT_EQ(tok->decode({1, 8, 3, 10, 11, 12, 2}, true), "ab \xE4\xBD\xA0");
  EXPECT_EQ(tok->decode({8, 10, 11}),
            "ab\xEF\xBF\xBD\xEF\xBF\xBD");  // an incomplete byte run: U+FFFD per byte
  EXPECT_EQ(tok->decode({9}), "A");
  // A stream keeps the bytes raw and strips the space only where the text starts.
  EXPECT_EQ(tok->decode_step(-1, 8), "ab");
  EXPECT_EQ(tok->decode_step(1, 8), "ab");
  EXPECT_EQ(tok->decode_step(8, 8), " ab");
  EXPECT_EQ(tok->decode_step(8, 10), "\xE4");
  // Non-special added token with lstrip/rstrip: the spaces around it go.
  EXPECT_EQ(tok->encode("ab <mask> ab", false), (std::vector<int32_t>{8, 13, 8}));
  EXPECT_EQ(tok->decode({8, 13, 8}, true), "ab<mask> ab");
  EXPECT_EQ(tok->piece(13), "<mask>");
  EXPECT_EQ(tok->piece(6), kMark + "a");
  EXPECT_SS_ERROR(tok->piece(14), "tokenizer.json", "out of range");
  EXPECT_EQ(tok->decode({-5, 99, 8}), "ab");  // ids without a token are skipped
  EXPECT_EQ(tok->encode("", true), (std::vector<int32_t>{1, 2}));
}

TEST(HfJson, ConfigOverridesTemplate) {
  const fs::path dir = test::scratch_dir();
  json config = {{"bos_token", "<s>"},
                 {"eos_token", {{"content", "</s>"}, {"__type", "AddedToken"}}},
                 {"add_bos_token", false},
                 {"add_eos_token", true}};
  auto tok = load_tokenizer(write_json(dir / "a", spm_style(), &config));
  EXPECT_EQ(tok->encode("ab"), (std::vector<int32_t>{8, 2}));
  EXPECT_EQ(tok->bos_id(), 1);
  EXPECT_EQ(tok->eos_id(), 2);
  config = {{"bos_token", nullptr}, {"add_bos_token", true}};
  EXPECT_SS_ERROR(load_tokenizer(write_json(dir / "b", spm_style(), &config)),
                  "tokenizer_config.json", "add_bos_token is true");
  config = {{"bos_token", "<nope>"}};
  EXPECT_SS_ERROR(load_tokenizer(write_json(dir / "c", spm_style(), &config)),
                  "tokenizer_config.json", "bos_token \"<nope>\" is not a token");
  // A folder finds its tokenizer.json.
  EXPECT_EQ(load_tokenizer(dir / "a")->encode("ab"), (std::vector<int32_t>{8, 2}));
}

TEST(HfJson, IgnoreMergesAndNoDecoder) {
  const fs::path dir = test::scratch_dir();
  json t = spm_style();
  t["model"]["vocab"][kMark + "b"] = 14;  // reachable only whole: no merge makes it
  t["model"]["ignore_merges"] = true;
  t.erase("decoder");
  t["post_processor"] = nullptr;
  auto tok = load_tokenizer(write_json(dir, t));
  EXPECT_EQ(tok->encode("b"), (std::vector<int32_t>{14}));
  EXPECT_EQ(tok->encode("ab"), (std::vector<int32_t>{8}));
  EXPECT_EQ(tok->decode({8, 14}), kMark + "ab " + kMark + "b");  // joined with spaces
}

// Encoding cuts long SentencePiece-style words before runs of U+2581 only when no token could
// span such a cut; this vocabulary has one, so "b▁a" must still form.
TEST(HfJson, MergesAcrossSpaceMarksWhenATokenSpansThem) {
  const fs::path dir = test::scratch_dir();
  json t = spm_style();
  t["model"]["vocab"]["b" + kMark + "a"] = 14;
  t["model"]["merges"].push_back("b " + kMark + "a");
  auto tok = load_tokenizer(write_json(dir, t));
  EXPECT_EQ(tok->encode("b a", false), (std::vector<int32_t>{3, 14}));
  EXPECT_EQ(load_tokenizer(write_json(dir / "plain", spm_style()))->encode("b a", false),
            (std::vector<int32_t>{3, 5, 6}));
}

// Each malformed or unsupported file fails to load with a one-line error naming the file and
// the part that is wrong.
TEST(HfJson, MalformedFiles) {
  const fs::path dir = test::scratch_dir();
  int n = 0;
  auto expect_error = [&](const json& t, std::initializer_list<const char*> parts) {
    const fs::path p = write_json(dir / std::to_string(n++), t);
    SCOPED_TRACE(p.string());
    try {
      load_tokenizer(p);
      ADD_FAILURE() << "loaded";
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
      EXPECT_NE(msg.find(p.string()), std::string::npos) << msg;
      for (const char* part : parts)
        EXPECT_NE(msg.find(part), std::string::npos) << "'" << part << "' not in: " << msg;
    }
  };
  auto with = [](const std::function<void(json&)>& edit) {
    json t = spm_style();
    edit(t);
    return t;
  };
  expect_error(with([](json& t) { t["model"]["type"] = "Unigram"; }),
               {"model type \"Unigram\" is not supported"});
  expect_error(with([](json& t) { t["model"].erase("type"); }), {"model has no \"type\""});
  expect_error(with([](json& t) { t["model"].erase("vocab"); }), {"model has no \"vocab\" object"});
  expect_error(with([](json& t) { t.erase("model"); }), {"has no \"model\""});
  expect_error(with([](json& t) { t["model"]["merges"] = "a b"; }),
               {"model has no \"merges\" array"});
  expect_error(with([](json& t) { t["model"]["merges"].push_back("a b c"); }),
               {"merges[3]", "is not \"a b\""});
  expect_error(with([](json& t) {
                 t["model"]["merges"].push_back(json::array({"a", 5}));
               }),
               {"merges[3]"});
  expect_error(with([](json& t) { t["model"]["merges"].push_back("b q"); }),
               {"merge 3", "\"q\", which is not in the vocab"});
  expect_error(with([](json& t) { t["model"]["merges"].push_back("b a"); }),
               {"merge 3", "\"ba\", which is not in the vocab"});
  expect_error(with([](json& t) { t["model"]["vocab"]["x"] = -1; }),
               {"model vocab \"x\"", "is not an id"});
  expect_error(with([](json& t) { t["model"]["vocab"]["x"] = 1LL << 40; }),
               {"model vocab \"x\"", "is not an id"});
  expect_error(with([](json& t) { t["model"]["vocab"]["x"] = 4; }), {"same id 4"});
  expect_error(with([](json& t) { t["model"]["unk_token"] = "<nope>"; }),
               {"unk_token \"<nope>\" is not in the vocab"});
  expect_error(with([](json& t) { t["model"]["dropout"] = 0.1; }), {"dropout"});
  expect_error(with([](json& t) { t["model"]["continuing_subword_prefix"] = "##"; }),
               {"continuing_subword_prefix"});
  expect_error(with([](json& t) {
                 t["normalizer"] = {{"type", "BertNormalizer"}};
               }),
               {"normalizer \"BertNormalizer\" is not supported"});
  expect_error(with([](json& t) {
                 t["normalizer"]["normalizers"][1]["pattern"] = {{"Regex", "\\s"}};
               }),
               {"normalizer Replace with a Regex pattern"});
  expect_error(with([](json& t) {
                 t["pre_tokenizer"] = {{"type", "Metaspace"}};
               }),
               {"pre_tokenizer \"Metaspace\" is not supported"});
  expect_error(with([](json& t) {
                 t["pre_tokenizer"] = {{"type", "Split"},
                                       {"pattern", {{"Regex", "\\s+"}}},
                                       {"behavior", "Removed"},
                                       {"invert", false}};
               }),
               {"Split behavior \"Removed\" is not supported"});
  expect_error(with([](json& t) {
                 t["pre_tokenizer"] = {{"type", "Split"},
                                       {"pattern", {{"Regex", "(unclosed"}}},
                                       {"behavior", "Isolated"},
                                       {"invert", false}};
               }),
               {"regex does not compile"});
  expect_error(with([](json& t) {
                 t["decoder"] = {{"type", "WordPiece"}};
               }),
               {"decoder \"WordPiece\" is not supported"});
  expect_error(with([](json& t) {
                 t["post_processor"] = {{"type", "RobertaProcessing"}};
               }),
               {"post_processor \"RobertaProcessing\" is not supported"});
  expect_error(
      with([](json& t) { t["post_processor"]["single"][0]["SpecialToken"]["id"] = "<x>"; }),
      {"special token \"<x>\" missing"});
  expect_error(with([](json& t) { t["post_processor"]["special_tokens"]["<s>"]["ids"] = {77}; }),
               {"post_processor adds id 77"});
  expect_error(with([](json& t) { t["added_tokens"][0]["id"] = "zero"; }),
               {"added_tokens[0] id", "is not an id"});
  expect_error(with([](json& t) { t["added_tokens"][1]["id"] = 0; }),
               {"added_tokens[1] repeats id 0"});
  expect_error(with([](json& t) { t["added_tokens"][3]["single_word"] = true; }), {"single_word"});
  expect_error(with([](json& t) { t["added_tokens"][3]["content"] = std::string(300, 'x'); }),
               {"added_tokens[3] content has 300 bytes"});
  expect_error(json::array({1, 2}), {"not a JSON object"});

  // Not JSON, duplicate keys, absurd nesting.
  test::write_file(dir / "bad.json", R"({"model": {"type": "BPE", "vocab": {"a": 0,)");
  EXPECT_SS_ERROR(load_tokenizer(dir / "bad.json"), "bad.json", "not valid JSON");
  test::write_file(dir / "dup.json",
                   R"({"model": {"type": "BPE", "vocab": {"a": 0, "a": 1}, "merges": []}})");
  EXPECT_SS_ERROR(load_tokenizer(dir / "dup.json"), "dup.json", "duplicate key");
  test::write_file(dir / "deep.json", std::string(100000, '[') + std::string(100000, ']'));
  EXPECT_SS_ERROR(load_tokenizer(dir / "deep.json"), "deep.json", "nested");
  test::write_file(dir / "empty.json", "");
  EXPECT_SS_ERROR(load_tokenizer(dir / "empty.json"), "empty.json");
}

}  // namespace
}  // namespace ss::text
