// JSON parsing for checkpoint headers and indexes, stricter than nlohmann's defaults: a duplicate
// key is an error (nlohmann would silently keep the last one, so two tensors could share a name)
// and the nesting depth is capped (these documents are shallow; a deep one is hostile).
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace ss::io {

// Parses `size` bytes at `data` (not NUL-terminated). `what` names the document in messages
// ("header", "index"). Throws ss::Error "<path>: ..." on invalid JSON or UTF-8, on a duplicate key
// in any object and on arrays/objects nested deeper than `max_depth` (the root is depth 0).
nlohmann::json parse_json_strict(const char* data, size_t size, const std::string& path,
                                 const std::string& what, int max_depth);

// An integer member `key` of a config object, `fallback` when it is absent or null. Refuses
// what nlohmann's get<int64_t>() would convert silently or with undefined behaviour (a float
// such as 768.0 or 1e300, a bool, a string), and magnitudes above 2^40, so sizes derived from it
// (4 * dim, dim * heads) cannot overflow. Throws ss::Error "<where>: <key> ...".
int64_t json_int(const nlohmann::json& obj, const char* key, const std::string& where);
int64_t json_int(const nlohmann::json& obj, const char* key, int64_t fallback,
                 const std::string& where);

// A whole JSON file (configs, model_args.json, neurons.json) parsed as strictly; errors name `path`.
nlohmann::json read_json_file(const std::string& path, int max_depth = 64);

}  // namespace ss::io
