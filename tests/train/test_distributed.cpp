// Data-parallel communication: the torchrun variables and their errors, the single-process no-op,
// and two real processes over loopback (this binary re-executed as rank 0 and rank 1) checking
// all_reduce_mean / broadcast / all_reduce_sum exactly. Every wait is bounded: no hang in CI.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>

#include "launch_ranks.h"
#include "train/distributed.h"
#include "util/error.h"

namespace ss::train {
namespace {

using namespace std::chrono_literals;

// The variables of one test, restored afterwards (tests of this file share the process).
class DistEnv : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* v : kVars) unsetenv(v);
  }
  void TearDown() override {
    for (const char* v : kVars) unsetenv(v);
  }
  static constexpr const char* kVars[] = {"RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT", "LOCAL_RANK",
                                          "GLOO_SOCKET_IFNAME"};
};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST_F(DistEnv, SingleProcessWithoutWorldSize) {
  for (const char* world : {static_cast<const char*>(nullptr), "1"}) {
    if (world) setenv("WORLD_SIZE", world, 1);
    Distributed d = Distributed::from_env();
    EXPECT_EQ(d.rank(), 0);
    EXPECT_EQ(d.world(), 1);
    EXPECT_FALSE(d.enabled());
    EXPECT_TRUE(d.is_main());
    std::vector<at::Tensor> t{at::full({2, 3}, 5.0f)};
    d.all_reduce_mean(t);
    d.broadcast(t);
    d.barrier();
    EXPECT_TRUE(at::equal(t[0], at::full({2, 3}, 5.0f)));
    EXPECT_EQ(d.all_reduce_sum(2.5), 2.5);
    EXPECT_NE(error_of([&] { d.broadcast(t, 1); }).find("root 1"), std::string::npos);
  }
}

TEST_F(DistEnv, BadVariablesAreNamed) {
  setenv("WORLD_SIZE", "two", 1);
  EXPECT_EQ(error_of([] { Distributed::from_env(); }), "WORLD_SIZE: expected an integer in [1, 65536], got 'two'");
  setenv("WORLD_SIZE", "2", 1);
  EXPECT_NE(error_of([] { Distributed::from_env(); }).find("RANK: not set"), std::string::npos);
  setenv("RANK", "2", 1);
  EXPECT_EQ(error_of([] { Distributed::from_env(); }), "RANK: expected an integer in [0, 1], got '2'");
  setenv("RANK", "1", 1);
  EXPECT_NE(error_of([] { Distributed::from_env(); }).find("MASTER_ADDR: not set"), std::string::npos);
  setenv("MASTER_ADDR", "127.0.0.1", 1);
  EXPECT_NE(error_of([] { Distributed::from_env(); }).find("MASTER_PORT: not set"), std::string::npos);
  setenv("MASTER_PORT", "70000", 1);
  EXPECT_EQ(error_of([] { Distributed::from_env(); }), "MASTER_PORT: expected an integer in [1, 65535], got '70000'");
  setenv("MASTER_PORT", "29500x", 1);
  EXPECT_NE(error_of([] { Distributed::from_env(); }).find("MASTER_PORT"), std::string::npos);
}

TEST_F(DistEnv, MissingPeerFailsWithinTheTimeout) {
  // Rank 1 of 2 with nobody listening: a clean error naming the endpoint, not a hang.
  setenv("WORLD_SIZE", "2", 1);
  setenv("RANK", "1", 1);
  setenv("MASTER_ADDR", "127.0.0.1", 1);
  setenv("MASTER_PORT", std::to_string(test::free_port()).c_str(), 1);
  const auto t0 = std::chrono::steady_clock::now();
  const std::string e = error_of([] { Distributed::from_env(1500ms); });
  EXPECT_NE(e.find("MASTER_ADDR:MASTER_PORT (127.0.0.1:"), std::string::npos) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 30s);
}

// ---- two processes over loopback --------------------------------------------------------------

// Rank `r` contributes these; the expected results are exact in float (small integers, halves).
std::vector<at::Tensor> rank_tensors(int r) {
  at::Tensor a = at::full({3, 4}, static_cast<float>(r + 1));
  at::Tensor b = at::arange(5, at::kFloat) * static_cast<float>(1 + 2 * r);
  at::Tensor c = at::arange(6, at::kFloat).reshape({2, 3}).t() * static_cast<float>(r);  // non-contiguous view
  return {a, b, c};
}

// The worker: runs only inside the processes that TwoProcessesLoopback starts.
TEST(DistributedWorker, Collectives) {
  if (!std::getenv("SS_TEST_DIST_WORKER")) GTEST_SKIP() << "runs inside Distributed.TwoProcessesLoopback";
  Distributed d = Distributed::from_env(30s);
  ASSERT_EQ(d.world(), 2);
  const int r = d.rank();

  std::vector<at::Tensor> g = rank_tensors(r);
  d.all_reduce_mean(g);
  EXPECT_TRUE(at::equal(g[0], at::full({3, 4}, 1.5f)));
  EXPECT_TRUE(at::equal(g[1], at::arange(5, at::kFloat) * 2.0f));
  EXPECT_TRUE(at::equal(g[2], at::arange(6, at::kFloat).reshape({2, 3}).t() * 0.5f));
  EXPECT_FALSE(g[2].is_contiguous());  // written in place, the caller's views stay valid

  // Parameters that require grad (leaves), as the trainer passes them.
  at::Tensor w = at::full({2, 2}, 10.0f * static_cast<float>(r) + 1.0f).requires_grad_(true);
  at::Tensor v = at::full({3}, static_cast<float>(r) - 7.0f);
  std::vector<at::Tensor> params{w, v};
  d.broadcast(params, 1);
  EXPECT_TRUE(at::equal(w.detach(), at::full({2, 2}, 11.0f)));
  EXPECT_TRUE(at::equal(v, at::full({3}, -6.0f)));
  if (r == 0) w.detach().fill_(3.0f);
  d.broadcast(params, 0);
  EXPECT_TRUE(at::equal(w.detach(), at::full({2, 2}, 3.0f)));

  EXPECT_EQ(d.all_reduce_sum(r + 0.25), 1.5);
  d.barrier();
  // Mismatched inputs are refused before any communication.
  std::vector<at::Tensor> bad{at::ones({2}), at::ones({2}, at::kDouble)};
  EXPECT_NE(error_of([&] { d.all_reduce_mean(bad); }).find("one floating dtype"), std::string::npos);
  d.barrier();
}

TEST(Distributed, TwoProcessesLoopback) {
  if (std::getenv("SS_TEST_DIST_WORKER")) GTEST_SKIP() << "a worker does not start workers";
  const auto results = test::launch_ranks("/proc/self/exe", {"--gtest_filter=DistributedWorker.Collectives"}, 2,
                                          120s, {"SS_TEST_DIST_WORKER=1"});
  for (size_t r = 0; r < results.size(); ++r) {
    EXPECT_FALSE(results[r].timed_out) << "rank " << r << " did not finish within 120 s";
    EXPECT_EQ(results[r].exit_code, 0) << "rank " << r;
  }
}

}  // namespace
}  // namespace ss::train
