#include "io/json_strict.h"

#include <unordered_set>
#include <vector>

#include "io/mmap_file.h"
#include "util/error.h"

namespace ss::io {

nlohmann::json parse_json_strict(const char* data, size_t size, const std::string& path,
                                 const std::string& what, int max_depth) {
  using nlohmann::json;
  // One set of seen keys per open object; arrays get an empty placeholder so the stack depth
  // always matches the parser's.
  std::vector<std::unordered_set<std::string>> seen;
  json::parser_callback_t check = [&](int depth, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        if (depth > max_depth)
          throw Error(path + ": " + what + " JSON is nested more than " +
                      std::to_string(max_depth) + " levels deep");
        seen.emplace_back();
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        seen.pop_back();
        break;
      case json::parse_event_t::key:
        if (!seen.back().insert(parsed.get<std::string>()).second)
          throw Error(path + ": " + what + " has a duplicate key " +
                      parsed.dump(-1, ' ', false, json::error_handler_t::replace) +
                      " (each name may appear once)");
        break;
      case json::parse_event_t::value:
        break;
    }
    return true;
  };
  try {
    return json::parse(data, data + size, check);
  } catch (const json::exception& e) {
    // nlohmann's message is one line and says where and what ("syntax error while parsing ...").
    throw Error(path + ": " + what + " is not valid JSON: " + e.what());
  }
}

nlohmann::json read_json_file(const std::string& path, int max_depth) {
  // MmapFile names the path for a missing file, a directory, a FIFO or a device.
  const auto file = MmapFile::open(path);
  return parse_json_strict(reinterpret_cast<const char*>(file->data()), file->size(), path, "JSON", max_depth);
}

int64_t json_int(const nlohmann::json& obj, const char* key, const std::string& where) {
  const auto it = obj.find(key);
  if (it == obj.end()) throw Error(where + ": " + key + " is missing");
  constexpr int64_t kLimit = int64_t{1} << 40;
  if (!it->is_number_integer() || (it->is_number_unsigned() && it->get<uint64_t>() > uint64_t{kLimit}) ||
      it->get<int64_t>() < -kLimit || it->get<int64_t>() > kLimit)
    throw Error(where + ": " + key + " is " + it->dump() + " (expected an integer of at most 2^40)");
  return it->get<int64_t>();
}

int64_t json_int(const nlohmann::json& obj, const char* key, int64_t fallback,
                 const std::string& where) {
  const auto it = obj.find(key);
  return it == obj.end() || it->is_null() ? fallback : json_int(obj, key, where);
}

}  // namespace ss::io
