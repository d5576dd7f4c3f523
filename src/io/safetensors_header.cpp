#include "io/safetensors_header.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "io/checked_math.h"
#include "util/error.h"

namespace ss::io {

HeaderEntry checked_entry(const std::string& path, const RawTensor& t) {
  auto nbytes = checked_nbytes(t.shape, t.dtype);
  if (!nbytes || *nbytes != t.nbytes || (t.nbytes && !t.data))
    throw Error(path + ": tensor '" + t.name + "' has " + std::to_string(t.nbytes) +
                " bytes of data, which does not match " + dtype_name(t.dtype) + " " + shape_str(t.shape));
  return {t.name, t.dtype, t.shape, t.nbytes};
}

void order_for_writing(const std::string& path, std::vector<HeaderEntry>& entries) {
  std::unordered_set<std::string> names;
  for (const HeaderEntry& e : entries) {
    if (e.name == "__metadata__") throw Error(path + ": tensor name '__metadata__' is reserved");
    if (!names.insert(e.name).second) throw Error(path + ": two tensors are named '" + e.name + "'");
  }
  // DType is declared in increasing alignment, like the reference's Dtype.
  std::sort(entries.begin(), entries.end(), [](const HeaderEntry& a, const HeaderEntry& b) {
    if (a.dtype != b.dtype) return a.dtype > b.dtype;
    return a.name < b.name;
  });
}

std::string encode_header(const std::string& path, const std::vector<HeaderEntry>& entries,
                          const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json h = nlohmann::ordered_json::object();
  if (!metadata.empty()) h["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const HeaderEntry& e : entries) {
    h[e.name] = {{"dtype", dtype_name(e.dtype)}, {"shape", e.shape}, {"data_offsets", {offset, offset + e.nbytes}}};
    offset += e.nbytes;  // the callers' checked sizes add up to a file they can write
  }
  std::string s;
  try {
    s = h.dump();
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": cannot encode the header: " + e.what());
  }
  s.append((8 - s.size() % 8) % 8, ' ');
  return s;
}

std::string encode_header_length(uint64_t n) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[static_cast<size_t>(i)] = static_cast<char>(n >> (8 * i));
  return s;
}

}  // namespace ss::io
