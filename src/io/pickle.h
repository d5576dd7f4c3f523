// A restricted unpickler: a Python pickle VM (the opcodes of protocols 2-5 that torch.save emits)
// that never executes code. Plain values (None, bool, int, float, str, bytes, tuple, list, dict)
// are built by the VM itself, as is collections.OrderedDict; every other global must be allowed by
// the caller's Hooks, which also decide what calling it produces. Anything else is refused with
// "<path>: refusing to unpickle global 'os.system': only tensors and plain containers are allowed".
#pragma once

#include <any>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace ss::io::pickle {

struct Value {
  enum class Kind { None, Bool, Int, BigInt, Float, Str, Bytes, Tuple, List, Dict, Global, Object };
  Kind kind = Kind::None;
  int64_t i = 0;  // Bool (0 or 1), Int; a BigInt (wider than 64 bits) keeps no value
  double f = 0;   // Float
  std::string s;  // Str, Bytes; Global: "module.name"
  std::vector<const Value*> items;  // Tuple, List; Dict: key, value, key, value, ...
  std::any object;                  // Object: what Hooks::call or Hooks::persistent_load returned
};

// "int", "tuple", ...: for messages.
const char* kind_name(Value::Kind kind);

struct Hooks {
  // Whether the pickle may name this global ("module.name") at all.
  std::function<bool(const std::string& qualname)> allows;
  // REDUCE, NEWOBJ, INST or OBJ on an allowed global: the resulting object, or throws ss::Error.
  std::function<std::any(const std::string& qualname, const std::vector<const Value*>& args)> call;
  // BINPERSID: the object a persistent id stands for, or throws ss::Error.
  std::function<std::any(const Value& pid)> persistent_load;
};

// Runs the pickle in `data` and returns every Object reachable from its result through dicts,
// lists and tuples, in order, each named by its dict keys and list indices joined with "."
// ({'model': {'a.weight': t}} gives "model.a.weight"; a bare object is named ""). Other leaves are
// dropped. `path` prefixes every message. The VM is bounded (values, stack, memo, nesting), so a
// hostile pickle fails with ss::Error instead of exhausting memory or the call stack.
std::vector<std::pair<std::string, std::any>> load_objects(const uint8_t* data, size_t size,
                                                           const std::string& path,
                                                           const Hooks& hooks);

}  // namespace ss::io::pickle
