#include "io/yaml.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdlib>

#include "io/mmap_file.h"
#include "util/error.h"

namespace ss::io {

namespace {

nlohmann::json plain_scalar(const std::string& s) {
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  char* end = nullptr;
  errno = 0;
  const long long i = std::strtoll(s.c_str(), &end, 10);
  if (*end == '\0' && errno == 0) return static_cast<int64_t>(i);
  errno = 0;
  const double d = std::strtod(s.c_str(), &end);
  if (*end == '\0' && errno == 0 && s.find_first_of("0123456789") != std::string::npos) return d;
  return s;
}

// Aliases make a few hundred bytes expand to 10^8 values and more ("billion laughs"): a config is
// a few hundred values, so more than this many is refused.
constexpr size_t kMaxValues = size_t{1} << 16;

nlohmann::json to_json(const YAML::Node& n, const std::string& where, int depth, size_t& values) {
  if (depth > 64) throw Error(where + ": nested deeper than 64 levels");
  if (++values > kMaxValues)
    throw Error(where + ": more than " + std::to_string(kMaxValues) + " values (aliases expanding without bound?)");
  switch (n.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: return nullptr;
    case YAML::NodeType::Scalar: return n.Tag() == "!" ? nlohmann::json(n.Scalar()) : plain_scalar(n.Scalar());
    case YAML::NodeType::Sequence: {
      nlohmann::json a = nlohmann::json::array();
      for (const auto& item : n) a.push_back(to_json(item, where, depth + 1, values));
      return a;
    }
    case YAML::NodeType::Map: {
      nlohmann::json o = nlohmann::json::object();
      for (const auto& kv : n) {
        const std::string key = kv.first.Scalar();
        if (o.contains(key)) throw Error(where + ": duplicate key '" + key + "'");
        o[key] = to_json(kv.second, where, depth + 1, values);
      }
      return o;
    }
  }
  return nullptr;
}

}  // namespace

nlohmann::json parse_yaml(const std::string& text, const std::string& where) {
  nlohmann::json j;
  size_t values = 0;
  try {
    j = to_json(YAML::Load(text), where, 0, values);
  } catch (const YAML::Exception& e) {
    throw Error(where + ": " + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  // yaml-cpp passes bytes that are not UTF-8 through into keys and strings; nlohmann then throws
  // its own type_error wherever the value is dumped later (an error message quoting it, a saved
  // config), so such a file is refused here, once (found by fuzz/fuzz_yaml.cpp).
  try {
    j.dump();
  } catch (const nlohmann::json::type_error& e) {
    throw Error(where + ": is not valid UTF-8 (" + e.what() + ")");
  }
  return j;
}

nlohmann::json read_yaml_file(const std::string& path) {
  const auto file = MmapFile::open(path);  // names the path for a missing file or a directory
  return parse_yaml(std::string(reinterpret_cast<const char*>(file->data()), file->size()), path);
}

}  // namespace ss::io
