// Where the read-only test assets live: $SINKSCOPE_ASSETS, else ../shared beside the checkout.
// Tests that need them call SS_REQUIRE_ASSET(path) and are skipped, with the path in the message,
// when the assets are absent (CI always has them).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace ss::test {

inline std::filesystem::path assets_dir() {
  if (const char* env = std::getenv("SINKSCOPE_ASSETS"); env && *env) return env;
  return std::filesystem::path(SS_SOURCE_DIR) / ".." / "shared";
}

inline std::filesystem::path asset(const std::string& rel) { return assets_dir() / rel; }

// A scratch directory unique to the running test and process (CI and a developer, or parallel
// ctest processes, never share one), removed by the OS's tmp cleaning.
inline std::filesystem::path scratch_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  auto dir = std::filesystem::temp_directory_path() / "sinkscope-tests" /
             (std::string(info->test_suite_name()) + "." + info->name() + "." + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace ss::test

#define SS_REQUIRE_ASSET(rel)                                                              \
  do {                                                                                     \
    if (!std::filesystem::exists(::ss::test::asset(rel)))                                  \
      GTEST_SKIP() << "asset missing: " << ::ss::test::asset(rel).string()                 \
                   << " (set SINKSCOPE_ASSETS or run scripts/fetch-assets.sh)";            \
  } while (0)
