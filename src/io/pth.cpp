#include "io/pth.h"

#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <unordered_set>

#include "io/checked_math.h"
#include "io/mmap_file.h"
#include "io/pickle.h"
#include "io/zip_archive.h"
#include "util/error.h"

namespace ss::io {

namespace {

using pickle::Value;
using Kind = Value::Kind;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw Error(path + ": " + what);
}

// The typed storage classes torch names in persistent ids; the storage's element type comes from
// here (a tensor has no dtype of its own in the pickle).
constexpr struct {
  const char* name;
  DType dtype;
} kStorageTypes[] = {
    {"torch.FloatStorage", DType::F32}, {"torch.DoubleStorage", DType::F64},
    {"torch.HalfStorage", DType::F16},  {"torch.BFloat16Storage", DType::BF16},
    {"torch.LongStorage", DType::I64},  {"torch.IntStorage", DType::I32},
    {"torch.ShortStorage", DType::I16}, {"torch.CharStorage", DType::I8},
    {"torch.ByteStorage", DType::U8},   {"torch.BoolStorage", DType::BOOL},
};

std::optional<DType> storage_dtype(const std::string& qualname) {
  for (const auto& s : kStorageTypes)
    if (qualname == s.name) return s.dtype;
  return std::nullopt;
}

constexpr const char* kRebuildTensorV2 = "torch._utils._rebuild_tensor_v2";
constexpr const char* kRebuildTensor = "torch._utils._rebuild_tensor";
constexpr const char* kRebuildParameter = "torch._utils._rebuild_parameter";
constexpr const char* kRebuildParameterWithState = "torch._utils._rebuild_parameter_with_state";

// What a persistent id ('storage', StorageType, key, location, numel) stands for; the bytes are
// only read when a tensor that uses the storage is materialised.
struct StorageRef {
  DType dtype;
  std::string key;
  uint64_t numel;
};

// What _rebuild_tensor_v2 describes: a strided view of a storage, in elements.
struct TensorSpec {
  StorageRef storage;
  uint64_t offset;
  std::vector<int64_t> size, stride;
};

// Argument checks for the rebuild functions: their arguments come from the (untrusted) pickle.
class Args {
 public:
  Args(const std::string& path, const std::string& fn, const std::vector<const Value*>& args)
      : path_(path), fn_(fn), args_(args) {}

  void check(bool ok, const std::string& what) const {
    if (!ok) fail(path_, fn_ + ": " + what);
  }
  void expect_count(size_t lo, size_t hi) const {
    check(args_.size() >= lo && args_.size() <= hi,
          "expected " + std::to_string(lo) + (lo == hi ? "" : " to " + std::to_string(hi)) +
              " arguments, got " + std::to_string(args_.size()));
  }
  template <typename T>
  const T& object(size_t k, const char* what) const {
    const T* t = args_[k]->kind == Kind::Object ? std::any_cast<T>(&args_[k]->object) : nullptr;
    check(t != nullptr, "argument " + std::to_string(k) + " must be a " + what);
    return *t;
  }
  int64_t integer(size_t k) const {
    check(args_[k]->kind == Kind::Int, "argument " + std::to_string(k) + " must be an int, got " +
                                           pickle::kind_name(args_[k]->kind));
    return args_[k]->i;
  }
  std::vector<int64_t> int_tuple(size_t k) const {
    std::vector<int64_t> out;
    const Value* v = args_[k];
    bool ok = v->kind == Kind::Tuple;
    for (size_t j = 0; ok && j < v->items.size(); ++j) {
      ok = v->items[j]->kind == Kind::Int && v->items[j]->i >= 0;
      if (ok) out.push_back(v->items[j]->i);
    }
    check(ok, "argument " + std::to_string(k) + " must be a tuple of non-negative ints");
    return out;
  }

 private:
  const std::string& path_;
  const std::string& fn_;
  const std::vector<const Value*>& args_;
};

// _rebuild_tensor(storage, storage_offset, size, stride) and _rebuild_tensor_v2, which adds
// requires_grad, backward_hooks and (torch 2.x) a metadata dict: none of them affect the data.
TensorSpec rebuild_tensor(const Args& a) {
  const int64_t offset = a.integer(1);
  a.check(offset >= 0, "the storage offset is negative");
  TensorSpec t{a.object<StorageRef>(0, "storage"), static_cast<uint64_t>(offset), a.int_tuple(2),
               a.int_tuple(3)};
  a.check(t.size.size() == t.stride.size(), "size and stride have different lengths");
  return t;
}

// The allowlist and what each allowed global does: nothing but describe tensors.
pickle::Hooks torch_hooks(const std::string& path) {
  pickle::Hooks h;
  h.allows = [](const std::string& q) {
    return q == kRebuildTensorV2 || q == kRebuildTensor || q == kRebuildParameter ||
           q == kRebuildParameterWithState || storage_dtype(q).has_value();
  };
  h.call = [&path](const std::string& q, const std::vector<const Value*>& args) -> std::any {
    const Args a(path, q, args);
    if (q == kRebuildTensorV2) {
      a.expect_count(6, 7);
      return rebuild_tensor(a);
    }
    if (q == kRebuildTensor) {
      a.expect_count(4, 4);
      return rebuild_tensor(a);
    }
    if (q == kRebuildParameter || q == kRebuildParameterWithState) {
      // (data, requires_grad, backward_hooks[, state]): a Parameter is its data for our purposes.
      a.expect_count(q == kRebuildParameter ? 3 : 4, q == kRebuildParameter ? 3 : 4);
      return a.object<TensorSpec>(0, "tensor");
    }
    // A storage class: only meaningful inside a persistent id, never called.
    fail(path, "refusing to call '" + q + "': only tensors and plain containers are allowed");
  };
  h.persistent_load = [&path](const Value& pid) -> std::any {
    const auto& it = pid.items;
    const bool ok = pid.kind == Kind::Tuple && it.size() == 5 && it[0]->kind == Kind::Str &&
                    it[0]->s == "storage" && it[1]->kind == Kind::Global &&
                    it[2]->kind == Kind::Str && it[4]->kind == Kind::Int && it[4]->i >= 0;
    const auto dtype = ok ? storage_dtype(it[1]->s) : std::nullopt;
    if (!dtype)
      fail(path,
           "unsupported persistent id in the pickle; expected ('storage', <torch storage "
           "class>, key, location, numel)");
    return StorageRef{*dtype, it[2]->s, static_cast<uint64_t>(it[4]->i)};
  };
  return h;
}

// Storage bytes from the archive, each read once however many tensors view it.
class Storages {
 public:
  Storages(const ZipArchive& zip, std::string prefix) : zip_(zip), prefix_(std::move(prefix)) {}

  std::shared_ptr<const std::vector<uint8_t>> get(const StorageRef& ref,
                                                  const std::string& tensor) {
    const std::string entry = prefix_ + "/data/" + ref.key;
    auto it = loaded_.find(ref.key);
    if (it != loaded_.end()) {
      if (it->second.ref.dtype != ref.dtype || it->second.ref.numel != ref.numel)
        fail(zip_.path(), "tensor '" + tensor + "' views storage '" + entry +
                              "' with a different type or size than an earlier tensor");
      return it->second.bytes;
    }
    const auto actual = zip_.entry_size(entry);
    if (!actual)
      fail(zip_.path(), "tensor '" + tensor + "' needs storage '" + entry +
                            "', which the archive does not contain");
    const auto expected = checked_mul(ref.numel, dtype_size(ref.dtype));
    if (!expected || *actual != *expected)
      fail(zip_.path(), "storage '" + entry + "' of tensor '" + tensor + "' is " +
                            std::to_string(*actual) + " bytes, expected " +
                            std::to_string(ref.numel) + " " + dtype_name(ref.dtype) +
                            " elements = " + (expected ? std::to_string(*expected) : "overflow"));
    auto bytes = std::make_shared<const std::vector<uint8_t>>(zip_.read(entry));
    loaded_.emplace(ref.key, Loaded{ref, bytes});
    return bytes;
  }

 private:
  struct Loaded {
    StorageRef ref;
    std::shared_ptr<const std::vector<uint8_t>> bytes;
  };
  const ZipArchive& zip_;
  std::string prefix_;
  std::map<std::string, Loaded> loaded_;
};

// C-order contiguity; a dimension of size 1 may have any stride (as in torch).
bool is_contiguous(const std::vector<int64_t>& size, const std::vector<int64_t>& stride) {
  int64_t expected = 1;
  for (size_t d = size.size(); d-- > 0;) {
    if (size[d] == 1) continue;
    if (stride[d] != expected) return false;
    expected *= size[d];
  }
  return true;
}

// Copies the strided view at `base` (element offsets size/stride, no size-0 dims) to C order.
void gather(const uint8_t* base, size_t elem, const std::vector<int64_t>& size,
            const std::vector<int64_t>& stride, uint64_t numel, uint8_t* out) {
  std::vector<int64_t> index(size.size(), 0);
  uint64_t src = 0;  // element offset from base; unsigned so the carry arithmetic never overflows
  for (uint64_t i = 0; i < numel; ++i) {
    std::memcpy(out + i * elem, base + src * elem, elem);
    for (size_t d = size.size(); d-- > 0;) {
      src += static_cast<uint64_t>(stride[d]);
      if (++index[d] < size[d]) break;
      src -= static_cast<uint64_t>(stride[d]) * static_cast<uint64_t>(size[d]);
      index[d] = 0;
    }
  }
}

RawTensor materialise(const std::string& path, const std::string& name, const TensorSpec& spec,
                      Storages& storages) {
  RawTensor t;
  t.name = name;
  t.dtype = spec.storage.dtype;
  t.shape = spec.size;
  const auto nbytes = checked_nbytes(spec.size, t.dtype);
  if (!nbytes) fail(path, "tensor '" + name + "' shape " + shape_str(spec.size) + " overflows");
  const size_t elem = dtype_size(t.dtype);
  const uint64_t numel = *nbytes / elem;
  auto bytes = storages.get(spec.storage, name);
  t.owner = bytes;
  t.data = bytes->data();
  if (numel == 0) return t;

  // The highest element the view touches must lie inside the storage.
  std::optional<uint64_t> last = spec.offset;
  for (size_t d = 0; d < spec.size.size() && last; ++d) {
    const auto span =
        checked_mul(static_cast<uint64_t>(spec.size[d] - 1), static_cast<uint64_t>(spec.stride[d]));
    last = span ? checked_add(*last, *span) : std::nullopt;
  }
  const std::string view = "tensor '" + name + "' (size " + shape_str(spec.size) + ", stride " +
                           shape_str(spec.stride) + ", storage offset " +
                           std::to_string(spec.offset) + ")";
  if (!last || *last >= spec.storage.numel)
    fail(path, view + " reaches past the end of its storage of " +
                   std::to_string(spec.storage.numel) + " elements");
  // Only a view that overlaps itself (stride 0, as from expand()) can have more elements than its
  // storage; copying one could take unbounded memory.
  if (numel > spec.storage.numel)
    fail(path, view + " has more elements than its storage; save it with .contiguous()");

  const uint8_t* base = bytes->data() + spec.offset * elem;
  t.nbytes = static_cast<size_t>(*nbytes);
  if (is_contiguous(spec.size, spec.stride)) {
    t.data = base;  // zero copy: the storage stays alive through `owner`
    return t;
  }
  std::vector<int64_t> size, stride;  // size-1 dims dropped: their strides are arbitrary
  for (size_t d = 0; d < spec.size.size(); ++d)
    if (spec.size[d] != 1) {
      size.push_back(spec.size[d]);
      stride.push_back(spec.stride[d]);
    }
  auto copy = std::make_shared<std::vector<uint8_t>>(t.nbytes);
  gather(base, elem, size, stride, numel, copy->data());
  t.data = copy->data();
  t.owner = std::move(copy);
  return t;
}

// The protocol-2 pickle of torch's legacy magic number 0x1950a86a20f9469cfc6c (LONG1, 10 bytes),
// which pre-1.6 torch.save wrote first.
constexpr uint8_t kLegacyMagic[] = {0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46,
                                    0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};

bool is_legacy(const uint8_t* head, size_t size) {
  return size >= 2 + sizeof kLegacyMagic && head[0] == 0x80 &&
         std::memcmp(head + 2, kLegacyMagic, sizeof kLegacyMagic) == 0;
}

bool is_zip(const uint8_t* head, size_t size) {
  return size >= 4 && std::memcmp(head, "PK\x03\x04", 4) == 0;
}

void check_byteorder(const ZipArchive& zip, const std::string& prefix) {
  const std::string entry = prefix + "/byteorder";
  const auto size = zip.entry_size(entry);
  if (!size) return;  // written since torch 1.12; older files are little-endian
  std::string order;
  if (*size <= 8) {
    const std::vector<uint8_t> b = zip.read(entry);
    order.assign(b.begin(), b.end());
  }
  if (order == "big")
    fail(zip.path(),
         "is a big-endian checkpoint (byteorder 'big'); only little-endian ones are "
         "supported: re-save it on a little-endian machine or convert it to safetensors");
  if (order != "little") fail(zip.path(), "'" + entry + "' must say 'little' or 'big'");
}

}  // namespace

bool is_torch_save(const uint8_t* head, size_t size) {
  return is_zip(head, size) || is_legacy(head, size);
}

std::vector<RawTensor> read_pth(const std::string& path) {
  std::shared_ptr<const MmapFile> file = MmapFile::open(path);
  if (is_legacy(file->data(), file->size()))
    fail(path,
         "is in the legacy (pre-1.6) torch.save format, which is not supported; re-save it "
         "with torch >= 1.6 (torch.save(torch.load(f), f) writes the zip format) or convert "
         "it to safetensors");
  if (!is_zip(file->data(), file->size()))
    fail(path,
         "is not a torch.save checkpoint (expected a zip archive starting with 'PK\\x03\\x04')");
  const ZipArchive zip(file);
  const std::string first = zip.first_name();
  const std::string prefix = first.substr(0, first.find('/'));
  const std::string pkl_entry = prefix + "/data.pkl";
  if (first.find('/') == std::string::npos || !zip.entry_size(pkl_entry))
    fail(path, "is a zip archive but not a torch.save checkpoint (no '<folder>/data.pkl')");
  check_byteorder(zip, prefix);

  const std::vector<uint8_t> pkl = zip.read(pkl_entry);
  const auto objects = pickle::load_objects(pkl.data(), pkl.size(), path, torch_hooks(path));
  Storages storages(zip, prefix);
  std::vector<RawTensor> out;
  std::unordered_set<std::string> names;
  for (const auto& [name, object] : objects) {
    const TensorSpec* spec = std::any_cast<TensorSpec>(&object);
    if (!spec) continue;  // e.g. a bare storage saved beside the tensors
    if (!names.insert(name).second)
      fail(path, "two tensors are named '" + name +
                     "' (a repeated dict key, or nested keys that join to the same name)");
    out.push_back(materialise(path, name, *spec, storages));
  }
  return out;
}

}  // namespace ss::io
