#include "io/safetensors.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <tuple>

#include "io/atomic_file.h"
#include "io/checked_math.h"
#include "io/json_strict.h"
#include "io/mmap_file.h"
#include "io/safetensors_header.h"
#include "util/error.h"

namespace ss::io {

namespace {

using nlohmann::json;

// The reference rejects larger headers outright (MAX_HEADER_SIZE).
constexpr uint64_t kMaxHeaderSize = 100'000'000;
// Root object -> tensor object -> shape array; one extra level so a nested value gets a precise
// "must be an integer" message instead of a depth error.
constexpr int kMaxHeaderDepth = 3;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw Error(path + ": " + what);
}

std::string quoted(const std::string& name) { return "'" + name + "'"; }

// One header entry, before validation against its neighbours.
struct Entry {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  uint64_t begin, end;
};

const json& field(const std::string& path, const std::string& name, const json& entry,
                  const char* key) {
  auto it = entry.find(key);
  if (it == entry.end()) fail(path, "tensor " + quoted(name) + " has no '" + key + "' field");
  return *it;
}

// A JSON array of non-negative integers that fit in int64 (serde's usize, minus the top bit).
std::vector<uint64_t> unsigned_list(const std::string& path, const std::string& name, const json& v,
                                    const char* key) {
  std::vector<uint64_t> out;
  bool ok = v.is_array();
  for (size_t i = 0; ok && i < v.size(); ++i) {
    ok = v[i].is_number_unsigned() && v[i].get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX);
    if (ok) out.push_back(v[i].get<uint64_t>());
  }
  if (!ok)
    fail(path, "tensor " + quoted(name) + " '" + key +
                   "' must be a list of non-negative integers, got " + v.dump());
  return out;
}

Entry parse_entry(const std::string& path, const std::string& name, const json& v) {
  if (!v.is_object())
    fail(path, "tensor " + quoted(name) + " must be an object with dtype, shape and data_offsets");
  Entry e;
  e.name = name;
  const json& dtype = field(path, name, v, "dtype");
  auto dt = dtype.is_string() ? dtype_from_name(dtype.get<std::string>()) : std::nullopt;
  if (!dt) fail(path, "tensor " + quoted(name) + " has unknown dtype " + dtype.dump());
  e.dtype = *dt;
  for (uint64_t d : unsigned_list(path, name, field(path, name, v, "shape"), "shape"))
    e.shape.push_back(static_cast<int64_t>(d));
  auto offsets = unsigned_list(path, name, field(path, name, v, "data_offsets"), "data_offsets");
  if (offsets.size() != 2)
    fail(path, "tensor " + quoted(name) + " 'data_offsets' must be [begin, end]");
  e.begin = offsets[0];
  e.end = offsets[1];
  return e;
}

std::map<std::string, std::string> parse_metadata(const std::string& path, const json& v) {
  if (!v.is_object()) fail(path, "'__metadata__' must be an object mapping strings to strings");
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : v.items()) {
    if (!value.is_string())
      fail(path, "'__metadata__' value for " + quoted(key) + " must be a string, got " +
                     value.type_name());
    out[key] = value.get<std::string>();
  }
  return out;
}

// Metadata::validate: sorted by offsets, the tensors tile [0, data_size) exactly.
void validate_layout(const std::string& path, const std::vector<Entry>& entries,
                     uint64_t data_size) {
  uint64_t start = 0;
  for (const Entry& e : entries) {
    const std::string name = quoted(e.name);
    if (e.begin != start)
      fail(path, "tensor " + name + " data_offsets begin at " + std::to_string(e.begin) +
                     ", expected " + std::to_string(start) +
                     " (tensors must cover the data buffer from byte 0 with no gaps or overlaps)");
    if (e.end < e.begin)
      fail(path, "tensor " + name + " data_offsets end " + std::to_string(e.end) +
                     " is before their begin " + std::to_string(e.begin));
    auto nbytes = checked_nbytes(e.shape, e.dtype);
    if (!nbytes)
      fail(path, "tensor " + name + " shape " + shape_str(e.shape) + " of " + dtype_name(e.dtype) +
                     " overflows 64-bit sizes");
    if (e.end - e.begin != *nbytes)
      fail(path, "tensor " + name + " is " + dtype_name(e.dtype) + " " + shape_str(e.shape) +
                     " = " + std::to_string(*nbytes) + " bytes but its data_offsets span " +
                     std::to_string(e.end - e.begin));
    start = e.end;
  }
  if (start < data_size)
    fail(path, "the data buffer is " + std::to_string(data_size) + " bytes but the tensors cover " +
                   std::to_string(start) + " (trailing bytes after the last tensor)");
  if (start > data_size)
    fail(path, "the tensors need " + std::to_string(start) + " bytes of data but only " +
                   std::to_string(data_size) + " follow the header (truncated file?)");
}

uint64_t read_u64_le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

SafetensorsFile SafetensorsFile::open(const std::string& path) {
  std::shared_ptr<const MmapFile> file = MmapFile::open(path);
  const size_t size = file->size();
  if (size < 8)
    fail(path, "file is " + std::to_string(size) +
                   " bytes; a safetensors file starts with an 8-byte header length");
  const uint64_t n = read_u64_le(file->data());
  if (n > kMaxHeaderSize)
    fail(path, "header length " + std::to_string(n) + " exceeds the safetensors limit of " +
                   std::to_string(kMaxHeaderSize) + " bytes");
  if (n > size - 8)
    fail(path, "header length " + std::to_string(n) + " runs past the end of the file (" +
                   std::to_string(size) + " bytes)");
  const char* header = reinterpret_cast<const char*>(file->data() + 8);
  if (n == 0 || header[0] != '{')
    fail(path, "header does not start with '{' (expected a JSON object)");
  const json h = parse_json_strict(header, n, path, "header", kMaxHeaderDepth);

  SafetensorsFile out;
  std::vector<Entry> entries;
  for (const auto& [key, value] : h.items()) {
    if (key == "__metadata__")
      out.metadata_ = parse_metadata(path, value);
    else
      entries.push_back(parse_entry(path, key, value));
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
  });
  const uint8_t* data = file->data() + 8 + n;
  validate_layout(path, entries, size - 8 - n);

  out.tensors_.reserve(entries.size());
  for (Entry& e : entries) {
    out.by_name_.emplace(e.name, out.tensors_.size());
    RawTensor t;
    t.name = std::move(e.name);
    t.dtype = e.dtype;
    t.shape = std::move(e.shape);
    t.data = data + e.begin;
    t.nbytes = static_cast<size_t>(e.end - e.begin);
    t.owner = file;
    out.tensors_.push_back(std::move(t));
  }
  return out;
}

const RawTensor* SafetensorsFile::find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &tensors_[it->second];
}

void write_safetensors(const std::string& path, const std::vector<RawTensor>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  std::vector<HeaderEntry> entries;
  std::unordered_map<std::string, const RawTensor*> by_name;
  for (const RawTensor& t : tensors) {
    entries.push_back(checked_entry(path, t));
    by_name.emplace(t.name, &t);
  }
  order_for_writing(path, entries);
  const std::string header = encode_header(path, entries, metadata);

  AtomicFile out(path);
  const std::string len = encode_header_length(header.size());
  out.append(len.data(), len.size());
  out.append(header.data(), header.size());
  for (const HeaderEntry& e : entries) out.append(by_name.at(e.name)->data, e.nbytes);
  out.commit();
}

}  // namespace ss::io
