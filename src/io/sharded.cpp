#include "io/sharded.h"

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "io/json_strict.h"
#include "io/mmap_file.h"
#include "io/safetensors.h"
#include "util/error.h"

namespace ss::io {

namespace {

namespace fs = std::filesystem;

// Real indexes are a few hundred KB even for the largest models.
constexpr size_t kMaxIndexSize = 100'000'000;
// {"metadata": {...}, "weight_map": {...}} plus room for nested metadata values.
constexpr int kMaxIndexDepth = 8;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw Error(path + ": " + what);
}

// Shard names are file names in (or below) the index's folder; an absolute path or ".." would make
// the index read files it does not ship with.
bool is_local_relative(const fs::path& p) {
  if (p.empty() || p.is_absolute()) return false;
  for (const auto& part : p)
    if (part == "..") return false;
  return true;
}

}  // namespace

std::vector<RawTensor> read_safetensors_index(const std::string& index_path) {
  std::shared_ptr<const MmapFile> file = MmapFile::open(index_path);
  if (file->size() > kMaxIndexSize)
    fail(index_path, "index is " + std::to_string(file->size()) + " bytes, more than the " +
                         std::to_string(kMaxIndexSize) + " a shard index can plausibly need");
  const nlohmann::json index = parse_json_strict(reinterpret_cast<const char*>(file->data()),
                                                 file->size(), index_path, "index", kMaxIndexDepth);
  const auto wm = index.is_object() ? index.find("weight_map") : index.end();
  if (wm == index.end() || !wm->is_object())
    fail(index_path, "index has no \"weight_map\" object (tensor name -> shard file)");

  std::map<std::string, std::unordered_set<std::string>> by_shard;
  for (const auto& [name, shard] : wm->items()) {
    if (!shard.is_string() || !is_local_relative(shard.get<std::string>()))
      fail(index_path, "weight_map entry '" + name +
                           "' must name a shard file relative to the "
                           "index's folder, got " +
                           shard.dump());
    by_shard[shard.get<std::string>()].insert(name);
  }

  const fs::path dir = fs::path(index_path).parent_path();
  std::vector<RawTensor> out;
  for (const auto& [shard, names] : by_shard) {
    const std::string shard_path = (dir / shard).string();
    if (!fs::exists(shard_path))
      fail(index_path,
           "weight_map names shard '" + shard + "' but " + shard_path + " does not exist");
    const SafetensorsFile f = SafetensorsFile::open(shard_path);
    for (const std::string& name : names)
      if (!f.find(name))
        fail(index_path, "weight_map puts tensor '" + name + "' in shard '" + shard +
                             "' but that shard does not contain it");
    // Tensors a shard holds but the index does not list are left out: the index is authoritative.
    for (const RawTensor& t : f.tensors())
      if (names.count(t.name)) out.push_back(t);
  }
  return out;
}

}  // namespace ss::io
