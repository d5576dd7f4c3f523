// Builds torch.save-style archives byte by byte, so the .pth tests need neither Python nor torch:
// PickleWriter emits pickle opcodes (protocol 2, plus the protocol-4 ones where asked) and
// write_torch_zip stores "<prefix>/data.pkl" and "<prefix>/data/<key>" entries with libzip.
#pragma once

#include <zip.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace ss::test {

class PickleWriter {
 public:
  PickleWriter& op(uint8_t c) {
    s_ += static_cast<char>(c);
    return *this;
  }
  PickleWriter& raw(const std::string& bytes) {
    s_ += bytes;
    return *this;
  }
  PickleWriter& le(uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) s_ += static_cast<char>(v >> (8 * i));
    return *this;
  }
  PickleWriter& proto(int v = 2) { return op(0x80).op(static_cast<uint8_t>(v)); }
  PickleWriter& global(const std::string& module, const std::string& name) {
    return op('c').raw(module + "\n" + name + "\n");
  }
  PickleWriter& str(const std::string& s) { return op('X').le(s.size(), 4).raw(s); }
  // SHORT_BINUNICODE (protocol 4).
  PickleWriter& short_str(const std::string& s) {
    return op(0x8c).op(static_cast<uint8_t>(s.size())).raw(s);
  }
  PickleWriter& integer(int64_t v) {
    if (v >= 0 && v < 256) return op('K').le(static_cast<uint64_t>(v), 1);
    if (v >= INT32_MIN && v <= INT32_MAX) return op('J').le(static_cast<uint64_t>(v), 4);
    return op(0x8a).op(8).le(static_cast<uint64_t>(v), 8);  // LONG1
  }
  PickleWriter& mark() { return op('('); }
  PickleWriter& ints(const std::vector<int64_t>& v) {
    mark();
    for (int64_t x : v) integer(x);
    return op('t');
  }
  // collections.OrderedDict(), as torch pickles state dicts and backward hooks.
  PickleWriter& ordered_dict() { return global("collections", "OrderedDict").op(')').op('R'); }
  // ('storage', torch.<cls>, key, 'cpu', numel) then BINPERSID.
  PickleWriter& storage(const std::string& cls, const std::string& key, int64_t numel) {
    mark().str("storage").global("torch", cls).str(key).str("cpu").integer(numel).op('t');
    return op('Q');
  }
  // torch._utils._rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict()).
  PickleWriter& tensor(const std::string& cls, const std::string& key, int64_t numel,
                       int64_t offset, const std::vector<int64_t>& size,
                       const std::vector<int64_t>& stride) {
    global("torch._utils", "_rebuild_tensor_v2").mark();
    storage(cls, key, numel).integer(offset).ints(size).ints(stride).op(0x89).ordered_dict();
    return op('t').op('R');
  }
  // A contiguous float tensor over a whole storage.
  PickleWriter& float_tensor(const std::string& key, const std::vector<int64_t>& size) {
    std::vector<int64_t> stride(size.size());
    int64_t n = 1;
    for (size_t d = size.size(); d-- > 0;) {
      stride[d] = n;
      n *= size[d];
    }
    return tensor("FloatStorage", key, n, 0, size, stride);
  }
  PickleWriter& stop() { return op('.'); }
  const std::string& bytes() const { return s_; }

 private:
  std::string s_;
};

inline std::string float_bytes(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

// Writes a zip with these (name, bytes) entries, stored uncompressed like torch.save does.
inline void write_zip(const std::filesystem::path& path,
                      const std::vector<std::pair<std::string, std::string>>& entries) {
  int err = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
  if (!z) throw std::runtime_error("zip_open failed for " + path.string());
  for (const auto& [name, bytes] : entries) {
    zip_source_t* src = zip_source_buffer(z, bytes.data(), bytes.size(), 0);
    const zip_int64_t idx = src ? zip_file_add(z, name.c_str(), src, ZIP_FL_ENC_UTF_8) : -1;
    if (idx < 0 ||
        zip_set_file_compression(z, static_cast<zip_uint64_t>(idx), ZIP_CM_STORE, 0) != 0)
      throw std::runtime_error("zip_file_add failed for " + name);
  }
  if (zip_close(z) != 0) throw std::runtime_error("zip_close failed for " + path.string());
}

// A torch.save archive: data.pkl first (the reader takes the folder from the first entry), then
// the storages as "<prefix>/data/<key>".
inline void write_torch_zip(const std::filesystem::path& path, const std::string& pickle,
                            const std::vector<std::pair<std::string, std::string>>& storages,
                            const std::string& prefix = "archive") {
  std::vector<std::pair<std::string, std::string>> entries = {{prefix + "/data.pkl", pickle}};
  for (const auto& [key, bytes] : storages) entries.emplace_back(prefix + "/data/" + key, bytes);
  entries.emplace_back(prefix + "/version", "3\n");
  write_zip(path, entries);
}

}  // namespace ss::test
