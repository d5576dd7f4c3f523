// Text datasets: the three sequence modes, the per-file validation tail, epochs that cover every
// chunk once, relative paths, and errors that name the file or key.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <numeric>
#include <set>

#include "common/assets.h"
#include "train/text_dataset.h"
#include "util/error.h"

namespace ss::train {
namespace {
namespace fs = std::filesystem;

constexpr int64_t kByteBos = 256;

// A file of `n` printable bytes without repeats of any 8-byte window in practice (a hash of the
// position), so every slice of the stream can be located.
std::string pattern(size_t n, int salt) {
  std::string s(n, ' ');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(32 + mix64(i * 1000 + static_cast<size_t>(salt)) % 95);
  return s;
}

struct Corpus {
  fs::path dir = test::scratch_dir();
  fs::path config = dir / "sub" / "cfg.json";
  Corpus() {
    fs::create_directories(dir / "sub" / "data");
    std::ofstream(dir / "sub" / "data" / "a.txt", std::ios::binary) << pattern(1000, 0);
    std::ofstream(dir / "sub" / "data" / "b.txt", std::ios::binary) << pattern(600, 3);
  }
  std::unique_ptr<TokenDataset> make(nlohmann::json extra, Split split = Split::Train) const {
    nlohmann::json j = {{"kind", "text"}, {"files", {"data/a.txt", "data/b.txt"}}, {"tokenizer", "byte"}};
    for (auto& kv : extra.items()) j[kv.key()] = kv.value();
    return make_dataset(j, split, config.string());
  }
};

const TextDataset& text(const std::unique_ptr<TokenDataset>& d) { return dynamic_cast<const TextDataset&>(*d); }

// Where `content` starts in `stream`, or -1.
int64_t find_slice(const std::vector<int32_t>& stream, const std::vector<int64_t>& content) {
  for (size_t s = 0; s + content.size() <= stream.size(); ++s)
    if (std::equal(content.begin(), content.end(), stream.begin() + static_cast<int64_t>(s))) return static_cast<int64_t>(s);
  return -1;
}

TEST(TextDataset, ValidationIsTheTailOfEveryFile) {
  const Corpus c;
  const auto train = c.make({{"val_fraction", 0.1}});
  const auto val = c.make({{"val_fraction", 0.1}}, Split::Validation);
  const std::string a = pattern(1000, 0), b = pattern(600, 3);
  const std::string want_train = a.substr(0, 900) + b.substr(0, 540);
  const std::string want_val = a.substr(900) + b.substr(540);
  EXPECT_EQ(text(train).tokens(), std::vector<int32_t>(want_train.begin(), want_train.end()));
  EXPECT_EQ(text(val).tokens(), std::vector<int32_t>(want_val.begin(), want_val.end()));
  // Validation sequences come from the validation stream only.
  for (int64_t i = 0; i < 10; ++i) {
    const auto ids = val->sequence(i, 30);
    EXPECT_GE(find_slice(text(val).tokens(), {ids.begin() + 1, ids.end()}), 0);
  }
  EXPECT_EQ(train->vocab_size(), 258);
  EXPECT_EQ(train->bos(), std::optional<int64_t>(kByteBos));
}

TEST(TextDataset, PackedChunksCoverTheStreamOncePerEpoch) {
  const Corpus c;
  const auto d = c.make({{"bos", false}, {"seed", 5}});
  const auto& stream = text(d).tokens();
  const int64_t len = 64, chunks = static_cast<int64_t>(stream.size()) / len;
  std::vector<int64_t> epoch0, epoch1;
  for (int64_t i = 0; i < 2 * chunks; ++i) {
    const auto ids = d->sequence(i, len);
    ASSERT_EQ(ids.size(), static_cast<size_t>(len));
    // Chunk c is stream[c*len, (c+1)*len): check the content at the start the order implies.
    int64_t start = -1;
    for (int64_t k = 0; k < chunks && start < 0; ++k)
      if (std::equal(ids.begin(), ids.end(), stream.begin() + k * len)) start = k;
    ASSERT_GE(start, 0) << "sequence " << i << " is not an aligned chunk";
    (i < chunks ? epoch0 : epoch1).push_back(start);
  }
  std::vector<int64_t> all(chunks);
  std::iota(all.begin(), all.end(), 0);
  auto sorted0 = epoch0, sorted1 = epoch1;
  std::sort(sorted0.begin(), sorted0.end());
  std::sort(sorted1.begin(), sorted1.end());
  EXPECT_EQ(sorted0, all);
  EXPECT_EQ(sorted1, all);
  EXPECT_NE(epoch0, epoch1);  // a new order each epoch
  EXPECT_NE(epoch0, all);     // shuffled
  // Another seed, another order; the same seed, the same order (no hidden state).
  EXPECT_NE(c.make({{"bos", false}, {"seed", 6}})->sequence(0, len), d->sequence(0, len));
  EXPECT_EQ(c.make({{"bos", false}, {"seed", 5}})->sequence(7, len), d->sequence(7, len));
}

TEST(TextDataset, BosModeStartsEverySequenceWithBos) {
  const Corpus c;
  const auto d = c.make({});  // bos defaults to true
  EXPECT_EQ(d->describe()["bos"], true);
  EXPECT_EQ(d->describe()["bos_id"], kByteBos);
  const auto& stream = text(d).tokens();
  const int64_t len = 33;
  for (int64_t i = 0; i < 20; ++i) {
    const auto ids = d->sequence(i, len);
    ASSERT_EQ(ids.size(), static_cast<size_t>(len));
    EXPECT_EQ(ids[0], kByteBos);
    EXPECT_EQ(std::count(ids.begin(), ids.end(), kByteBos), 1);
    const int64_t at = find_slice(stream, {ids.begin() + 1, ids.end()});
    EXPECT_GE(at, 0);
    EXPECT_EQ(at % (len - 1), 0) << "chunks of length-1 tokens follow the BOS";
  }
}

TEST(TextDataset, RandomOffsetHasNoBosAndUniformStarts) {
  const Corpus c;
  const auto d = c.make({{"random_offset", true}, {"seed", 1}});
  EXPECT_EQ(d->describe()["bos"], false);
  const auto& stream = text(d).tokens();
  std::set<int64_t> starts;
  bool unaligned = false;
  for (int64_t i = 0; i < 200; ++i) {
    const auto ids = d->sequence(i, 16);
    ASSERT_EQ(ids.size(), 16u);
    EXPECT_EQ(std::count(ids.begin(), ids.end(), kByteBos), 0);
    const int64_t at = find_slice(stream, ids);
    ASSERT_GE(at, 0);
    starts.insert(at);
    unaligned |= at % 16 != 0;
  }
  EXPECT_GT(starts.size(), 150u);
  EXPECT_TRUE(unaligned);
  EXPECT_EQ(d->sequence(42, 16), c.make({{"random_offset", true}, {"seed", 1}})->sequence(42, 16));
  // Both options: BOS, then length-1 tokens from a random offset.
  const auto both = c.make({{"random_offset", true}, {"bos", true}});
  const auto ids = both->sequence(3, 16);
  EXPECT_EQ(ids[0], kByteBos);
  EXPECT_GE(find_slice(stream, {ids.begin() + 1, ids.end()}), 0);
}

TEST(TextDataset, RealTokenizerFromAssets) {
  SS_REQUIRE_ASSET("data/gpt2_tokenizer");
  SS_REQUIRE_ASSET("data/pg_pride_and_prejudice.txt");
  const auto d = make_dataset({{"kind", "text"},
                               {"files", {test::asset("data/pg_pride_and_prejudice.txt").string()}},
                               {"tokenizer", test::asset("data/gpt2_tokenizer").string()},
                               {"bos", false}},
                              Split::Validation, "");
  EXPECT_EQ(d->vocab_size(), 50257);
  EXPECT_GT(text(d).tokens().size(), 5000u);  // 5% of the book
  for (int64_t id : d->sequence(3, 129)) {
    EXPECT_GE(id, 0);
    EXPECT_LT(id, 50257);
  }
}

void expect_error(const Corpus& c, const nlohmann::json& extra, const std::string& needle, Split split = Split::Train) {
  try {
    c.make(extra, split)->sequence(0, 64);
    ADD_FAILURE() << "no error for " << extra.dump();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(TextDataset, ErrorsNameTheFileOrKey) {
  const Corpus c;
  expect_error(c, {{"files", {"data/a.txt", "data/missing.txt"}}}, "cfg.json: data.files[1]: cannot read");
  expect_error(c, {{"files", {"data/missing.txt"}}}, (c.dir / "sub" / "data" / "missing.txt").string());
  expect_error(c, {{"files", nlohmann::json::array()}}, "data.files: expected a non-empty array");
  expect_error(c, {{"files", {3}}}, "data.files[0]: expected a path string");
  expect_error(c, {{"tokenizer", "no/such/tokenizer.json"}}, "data.tokenizer:");
  expect_error(c, {{"val_fraction", 1.5}}, "data.val_fraction: expected a number in [0.0, 0.9], got 1.5");
  expect_error(c, {{"val_fraction", 0}}, "the validation split has no tokens", Split::Validation);
  expect_error(c, {{"bos", "yes"}}, "data.bos: expected true or false");
  expect_error(c, {{"shuffle", true}}, "data.shuffle: unknown key");
  expect_error(c, {{"seed", -1}}, "data.seed");
  // Too short for the requested length: the message gives the split and both sizes.
  const auto d = c.make({{"val_fraction", 0.01}}, Split::Validation);
  try {
    d->sequence(0, 64);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("validation split has 16 tokens, too few for one sequence of 64"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(d->sequence(-1, 4), Error);
}

}  // namespace
}  // namespace ss::train
