// io::json_int: integer config fields refuse what nlohmann's get<int64_t>() would convert
// silently or with undefined behaviour (found by fuzz_config_json, docs/reliability.md).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "io/json_strict.h"
#include "util/error.h"

namespace ss {
namespace {

TEST(JsonInt, AcceptsIntegersAndFallsBack) {
  const auto j = nlohmann::json::parse(R"({"a": 768, "b": -3, "n": null})");
  EXPECT_EQ(io::json_int(j, "a", "config.json"), 768);
  EXPECT_EQ(io::json_int(j, "b", "config.json"), -3);
  EXPECT_EQ(io::json_int(j, "n", 7, "config.json"), 7);
  EXPECT_EQ(io::json_int(j, "missing", 9, "config.json"), 9);
}

TEST(JsonInt, RefusesFloatsHugeValuesAndOtherTypes) {
  const auto j = nlohmann::json::parse(
      R"({"float": 1e300, "whole_float": 768.0, "huge": 18446744073709551615,
          "big": 1099511627777, "bool": true, "str": "8"})");
  for (const char* key : {"float", "whole_float", "huge", "big", "bool", "str"}) {
    try {
      io::json_int(j, key, "config.json");
      ADD_FAILURE() << key << " was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("config.json: ") + key), std::string::npos)
          << e.what();
    }
  }
  EXPECT_THROW(io::json_int(j, "missing", "config.json"), Error);
}

}  // namespace
}  // namespace ss
