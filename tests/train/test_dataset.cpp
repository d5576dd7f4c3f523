// The shared pieces of the datasets: the counter-based generator, the chunk permutation, the
// data-config dispatch and its errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <set>

#include "train/dataset.h"
#include "util/error.h"

namespace ss::train {
namespace {

TEST(Dataset, PermuteIndexIsABijectionForEveryKey) {
  for (uint64_t n : {1ull, 2ull, 3ull, 5ull, 17ull, 64ull, 65ull, 1000ull, 4097ull}) {
    for (uint64_t key : {0ull, 1ull, 0xDEADBEEFull}) {
      std::vector<uint64_t> image(n);
      for (uint64_t i = 0; i < n; ++i) image[i] = permute_index(i, n, key);
      std::vector<uint64_t> sorted = image;
      std::sort(sorted.begin(), sorted.end());
      std::vector<uint64_t> identity(n);
      std::iota(identity.begin(), identity.end(), 0);
      EXPECT_EQ(sorted, identity) << "n " << n << " key " << key;
      if (n >= 17) EXPECT_NE(image, identity) << "not shuffled: n " << n << " key " << key;
    }
  }
  // Different keys, different orders.
  std::vector<uint64_t> a, b;
  for (uint64_t i = 0; i < 100; ++i) a.push_back(permute_index(i, 100, 1)), b.push_back(permute_index(i, 100, 2));
  EXPECT_NE(a, b);
  EXPECT_THROW(permute_index(5, 5, 0), Error);
}

TEST(Dataset, CounterRngIsAPureFunctionOfKeyAndIndex) {
  CounterRng a(3, 10), b(3, 10), c(3, 11), d(4, 10);
  const uint64_t x = a.next();
  EXPECT_EQ(x, b.next());
  EXPECT_NE(x, c.next());
  EXPECT_NE(x, d.next());
  // below(n): in range and every value reached; real(): in [0, 1).
  CounterRng r(0, 0);
  std::vector<int> hits(7, 0);
  for (int i = 0; i < 7000; ++i) ++hits[r.below(7)];
  for (int h : hits) EXPECT_GT(h, 800);
  for (int i = 0; i < 1000; ++i) {
    const double u = r.real();
    EXPECT_GE(u, 0.0);
    EXPECT_LT(u, 1.0);
  }
  EXPECT_THROW(r.below(0), Error);
}

TEST(Dataset, DataConfigErrorsNameTheFileAndKey) {
  const auto message = [](const nlohmann::json& j) {
    try {
      make_dataset(j, Split::Train, "runs/cfg.json");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message(nlohmann::json::array()), "runs/cfg.json: data: expected an object like {\"kind\": \"text\", ...}");
  EXPECT_EQ(message({{"vocab", 3}}), "runs/cfg.json: data.kind: expected \"text\" or \"bigram-backcopy\"");
  EXPECT_EQ(message({{"kind", "images"}}),
            "runs/cfg.json: data.kind: expected \"text\" or \"bigram-backcopy\", got \"images\"");
  EXPECT_EQ(split_name(Split::Validation), std::string("validation"));
}

}  // namespace
}  // namespace ss::train
