#include "io/pickle.h"

#include <cstdio>
#include <cstring>
#include <deque>
#include <unordered_map>

#include "util/error.h"

namespace ss::io::pickle {

namespace {

using Kind = Value::Kind;

// Bounds for hostile input. A state dict needs ~20 values per tensor, so the value cap leaves room
// for ~100k tensors while keeping the worst case near 200 MB; pickle batches container items by
// 1000, so a real stack stays tiny.
constexpr size_t kMaxValues = size_t{1} << 21;
constexpr size_t kMaxStack = size_t{1} << 20;
constexpr size_t kMaxMemo = kMaxValues;  // a pickle memoizes each value at most once
// Nesting of containers when collecting objects; state dicts nest a handful of levels.
constexpr int kMaxDepth = 100;

constexpr const char* kOrderedDict = "collections.OrderedDict";

// Opcodes, as named in CPython's Lib/pickle.py.
// clang-format off
enum Op : uint8_t {
  MARK = '(', STOP = '.', POP = '0', POP_MARK = '1', DUP = '2', BINFLOAT = 'G', BININT = 'J',
  BININT1 = 'K', BININT2 = 'M', NONE = 'N', BINPERSID = 'Q', REDUCE = 'R', BINUNICODE = 'X',
  APPEND = 'a', BUILD = 'b', GLOBAL = 'c', DICT = 'd', EMPTY_DICT = '}', APPENDS = 'e',
  BINGET = 'h', INST = 'i', LONG_BINGET = 'j', LIST = 'l', EMPTY_LIST = ']', OBJ = 'o',
  BINPUT = 'q', LONG_BINPUT = 'r', SETITEM = 's', TUPLE = 't', EMPTY_TUPLE = ')', SETITEMS = 'u',
  BINBYTES = 'B', SHORT_BINBYTES = 'C',
  PROTO = 0x80, NEWOBJ = 0x81, TUPLE1 = 0x85, TUPLE2 = 0x86, TUPLE3 = 0x87, NEWTRUE = 0x88,
  NEWFALSE = 0x89, LONG1 = 0x8a, LONG4 = 0x8b, SHORT_BINUNICODE = 0x8c, BINUNICODE8 = 0x8d,
  BINBYTES8 = 0x8e, NEWOBJ_EX = 0x92, STACK_GLOBAL = 0x93, MEMOIZE = 0x94, FRAME = 0x95,
  BYTEARRAY8 = 0x96,
};
// clang-format on

// Names from the pickle go into one-line messages: escape anything unprintable.
std::string printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

class Machine {
 public:
  Machine(const uint8_t* data, size_t size, const std::string& path, const Hooks& hooks)
      : data_(data), size_(size), path_(path), hooks_(hooks) {
    none_.kind = Kind::None;
    true_.kind = false_.kind = Kind::Bool;
    true_.i = 1;
  }

  // Executes up to STOP and returns the result.
  const Value* run();
  // The objects under `root`, named as load_objects documents.
  std::vector<std::pair<std::string, std::any>> collect(const Value* root);

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(path_ + ": malformed pickle at byte " + std::to_string(op_pos_) + ": " + what);
  }
  [[noreturn]] void refuse(const std::string& what) const {
    throw Error(path_ + ": refusing to " + what +
                ": only tensors and plain containers are allowed");
  }

  const uint8_t* take(uint64_t n);
  uint64_t read_uint(int bytes);
  std::string read_string(uint64_t n) {
    const uint8_t* p = take(n);
    return std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
  }
  std::string read_line();

  Value* make(Kind kind);
  Value* make_int(int64_t v);
  Value* make_long(uint64_t nbytes);
  Value* make_string(Kind kind, uint64_t n);
  Value* make_container(Kind kind, std::vector<Value*> items);

  void push(Value* v);
  Value* pop();
  Value* top();
  std::vector<Value*> pop_mark();
  Value* top_of_kind(Kind kind, const char* op);

  Value* global(const std::string& module, const std::string& name);
  Value* call(const Value* callable, std::vector<const Value*> args);
  void memo_put(uint64_t index);
  Value* memo_get(uint64_t index);
  bool step();  // one opcode; false after STOP

  void collect_into(const Value* v, const std::string& name, const char* odd_key, int depth,
                    std::vector<std::pair<std::string, std::any>>& out);

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  size_t op_pos_ = 0;  // start of the opcode being executed, for messages
  const std::string& path_;
  const Hooks& hooks_;

  std::deque<Value> arena_;  // owns every value; containers point at each other (even in cycles)
  Value none_, true_, false_;
  std::vector<Value*> stack_;
  std::vector<size_t> marks_;  // stack_ sizes at each open MARK
  std::unordered_map<uint64_t, Value*> memo_;
  Value* result_ = nullptr;
  uint64_t visits_ = 0;
};

const uint8_t* Machine::take(uint64_t n) {
  if (n > size_ - pos_)
    fail("truncated: needs " + std::to_string(n) + " more bytes, " + std::to_string(size_ - pos_) +
         " left");
  const uint8_t* p = data_ + pos_;
  pos_ += static_cast<size_t>(n);
  return p;
}

uint64_t Machine::read_uint(int bytes) {
  const uint8_t* p = take(bytes);
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

std::string Machine::read_line() {
  const void* nl = std::memchr(data_ + pos_, '\n', size_ - pos_);
  if (!nl) fail("truncated: a text argument has no terminating newline");
  const size_t n = static_cast<const uint8_t*>(nl) - (data_ + pos_);
  std::string s = read_string(n);
  ++pos_;
  return s;
}

Value* Machine::make(Kind kind) {
  if (arena_.size() >= kMaxValues)
    fail("more than " + std::to_string(kMaxValues) + " values; refusing to build more");
  Value& v = arena_.emplace_back();
  v.kind = kind;
  return &v;
}

Value* Machine::make_int(int64_t i) {
  Value* v = make(Kind::Int);
  v->i = i;
  return v;
}

// LONG1/LONG4: little-endian two's complement of `nbytes` bytes.
Value* Machine::make_long(uint64_t nbytes) {
  const uint8_t* p = take(nbytes);
  if (nbytes > 8) return make(Kind::BigInt);
  uint64_t u = 0;
  for (uint64_t k = nbytes; k-- > 0;) u = (u << 8) | p[k];
  if (nbytes > 0 && nbytes < 8 && (p[nbytes - 1] & 0x80)) u |= ~uint64_t{0} << (8 * nbytes);
  return make_int(static_cast<int64_t>(u));
}

Value* Machine::make_string(Kind kind, uint64_t n) {
  Value* v = make(kind);
  v->s = read_string(n);
  return v;
}

Value* Machine::make_container(Kind kind, std::vector<Value*> items) {
  Value* v = make(kind);
  v->items.assign(items.begin(), items.end());
  return v;
}

void Machine::push(Value* v) {
  if (stack_.size() >= kMaxStack) fail("stack deeper than " + std::to_string(kMaxStack));
  stack_.push_back(v);
}

Value* Machine::pop() {
  if (stack_.empty() || (!marks_.empty() && stack_.size() == marks_.back()))
    fail("stack underflow");
  Value* v = stack_.back();
  stack_.pop_back();
  return v;
}

Value* Machine::top() {
  Value* v = pop();
  stack_.push_back(v);
  return v;
}

std::vector<Value*> Machine::pop_mark() {
  if (marks_.empty()) fail("no MARK to pop back to");
  std::vector<Value*> items(stack_.begin() + marks_.back(), stack_.end());
  stack_.resize(marks_.back());
  marks_.pop_back();
  return items;
}

Value* Machine::top_of_kind(Kind kind, const char* op) {
  Value* v = top();
  if (v->kind != kind)
    fail(std::string(op) + " on a " + kind_name(v->kind) + ", expected a " + kind_name(kind));
  return v;
}

Value* Machine::global(const std::string& module, const std::string& name) {
  const std::string qualname = module + "." + name;
  if (qualname != kOrderedDict && !hooks_.allows(qualname))
    refuse("unpickle global '" + printable(qualname) + "'");
  Value* v = make(Kind::Global);
  v->s = qualname;
  return v;
}

// Every way a pickle can call something (REDUCE, NEWOBJ, INST, OBJ) ends here, so nothing but an
// allowed global is ever "called", and calling one only runs our own code.
Value* Machine::call(const Value* callable, std::vector<const Value*> args) {
  if (callable->kind != Kind::Global)
    refuse(std::string("call a value of type ") + kind_name(callable->kind));
  if (callable->s == kOrderedDict) {
    // Pickle builds an OrderedDict empty and fills it with SETITEMS.
    if (!args.empty()) fail("OrderedDict called with arguments");
    return make(Kind::Dict);
  }
  Value* v = make(Kind::Object);
  v->object = hooks_.call(callable->s, args);
  return v;
}

void Machine::memo_put(uint64_t index) {
  if (memo_.size() >= kMaxMemo && !memo_.count(index))
    fail("memo larger than " + std::to_string(kMaxMemo) + " entries");
  memo_[index] = top();
}

Value* Machine::memo_get(uint64_t index) {
  auto it = memo_.find(index);
  if (it == memo_.end()) fail("memo index " + std::to_string(index) + " was never stored");
  return it->second;
}

bool Machine::step() {
  op_pos_ = pos_;
  const uint8_t op = *take(1);
  switch (op) {
    case PROTO:
      if (read_uint(1) > 5) fail("unsupported pickle protocol (newer than 5)");
      break;
    case FRAME:  // a framing hint only; its payload is ordinary opcodes
      if (read_uint(8) > size_ - pos_) fail("truncated: a FRAME runs past the end");
      break;
    case STOP:
      result_ = pop();
      return false;
    case MARK:
      if (marks_.size() >= kMaxStack) fail("more than " + std::to_string(kMaxStack) + " MARKs");
      marks_.push_back(stack_.size());
      break;
    case POP:
      if (!marks_.empty() && stack_.size() == marks_.back())
        pop_mark();  // CPython pops the MARK itself when nothing is above it
      else
        pop();
      break;
    case POP_MARK:
      pop_mark();
      break;
    case DUP:
      push(top());
      break;

    case NONE:
      push(&none_);
      break;
    case NEWTRUE:
      push(&true_);
      break;
    case NEWFALSE:
      push(&false_);
      break;
    case BININT:
      push(make_int(static_cast<int32_t>(read_uint(4))));
      break;
    case BININT1:
      push(make_int(static_cast<int64_t>(read_uint(1))));
      break;
    case BININT2:
      push(make_int(static_cast<int64_t>(read_uint(2))));
      break;
    case LONG1:
      push(make_long(read_uint(1)));
      break;
    case LONG4: {
      const auto n = static_cast<int32_t>(read_uint(4));
      if (n < 0) fail("LONG4 with a negative length");
      push(make_long(static_cast<uint64_t>(n)));
      break;
    }
    case BINFLOAT: {  // big-endian IEEE 754 double
      const uint8_t* p = take(8);
      uint64_t u = 0;
      for (int k = 0; k < 8; ++k) u = (u << 8) | p[k];
      Value* v = make(Kind::Float);
      std::memcpy(&v->f, &u, 8);
      push(v);
      break;
    }
    case SHORT_BINUNICODE:
      push(make_string(Kind::Str, read_uint(1)));
      break;
    case BINUNICODE:
      push(make_string(Kind::Str, read_uint(4)));
      break;
    case BINUNICODE8:
      push(make_string(Kind::Str, read_uint(8)));
      break;
    case SHORT_BINBYTES:
      push(make_string(Kind::Bytes, read_uint(1)));
      break;
    case BINBYTES:
      push(make_string(Kind::Bytes, read_uint(4)));
      break;
    case BINBYTES8:
    case BYTEARRAY8:
      push(make_string(Kind::Bytes, read_uint(8)));
      break;

    case EMPTY_TUPLE:
      push(make(Kind::Tuple));
      break;
    case TUPLE:
      push(make_container(Kind::Tuple, pop_mark()));
      break;
    case TUPLE1:
    case TUPLE2:
    case TUPLE3: {
      std::vector<Value*> items(op - TUPLE1 + 1);
      for (auto it = items.rbegin(); it != items.rend(); ++it) *it = pop();
      push(make_container(Kind::Tuple, std::move(items)));
      break;
    }
    case EMPTY_LIST:
      push(make(Kind::List));
      break;
    case LIST:
      push(make_container(Kind::List, pop_mark()));
      break;
    case EMPTY_DICT:
      push(make(Kind::Dict));
      break;
    case DICT: {
      std::vector<Value*> items = pop_mark();
      if (items.size() % 2) fail("DICT with an odd number of items");
      push(make_container(Kind::Dict, std::move(items)));
      break;
    }
    case APPEND: {
      Value* v = pop();
      top_of_kind(Kind::List, "APPEND")->items.push_back(v);
      break;
    }
    case APPENDS: {
      std::vector<Value*> items = pop_mark();
      auto& list = top_of_kind(Kind::List, "APPENDS")->items;
      list.insert(list.end(), items.begin(), items.end());
      break;
    }
    case SETITEM: {
      Value* value = pop();
      Value* key = pop();
      auto& dict = top_of_kind(Kind::Dict, "SETITEM")->items;
      dict.push_back(key);
      dict.push_back(value);
      break;
    }
    case SETITEMS: {
      std::vector<Value*> items = pop_mark();
      if (items.size() % 2) fail("SETITEMS with an odd number of items");
      auto& dict = top_of_kind(Kind::Dict, "SETITEMS")->items;
      dict.insert(dict.end(), items.begin(), items.end());
      break;
    }

    case BINPUT:
      memo_put(read_uint(1));
      break;
    case LONG_BINPUT:
      memo_put(read_uint(4));
      break;
    case MEMOIZE:
      memo_put(memo_.size());
      break;
    case BINGET:
      push(memo_get(read_uint(1)));
      break;
    case LONG_BINGET:
      push(memo_get(read_uint(4)));
      break;

    case GLOBAL: {
      std::string module = read_line();
      push(global(module, read_line()));
      break;
    }
    case STACK_GLOBAL: {
      const Value* name = pop();
      const Value* module = pop();
      if (module->kind != Kind::Str || name->kind != Kind::Str)
        fail("STACK_GLOBAL needs two strings");
      push(global(module->s, name->s));
      break;
    }
    case REDUCE:
    case NEWOBJ: {
      const Value* args = pop();
      const Value* callable = pop();
      if (args->kind != Kind::Tuple) fail("arguments are a " + std::string(kind_name(args->kind)));
      push(call(callable, args->items));
      break;
    }
    case NEWOBJ_EX: {
      const Value* kwargs = pop();
      const Value* args = pop();
      const Value* cls = pop();
      if (args->kind != Kind::Tuple || kwargs->kind != Kind::Dict || !kwargs->items.empty())
        fail("NEWOBJ_EX needs a tuple and an empty dict");
      push(call(cls, args->items));
      break;
    }
    case INST: {
      std::string module = read_line();
      const Value* cls = global(module, read_line());
      std::vector<Value*> args = pop_mark();
      push(call(cls, {args.begin(), args.end()}));
      break;
    }
    case OBJ: {
      std::vector<Value*> items = pop_mark();
      if (items.empty()) fail("OBJ without a class");
      const Value* cls = items.front();
      push(call(cls, {items.begin() + 1, items.end()}));
      break;
    }
    case BUILD: {
      pop();  // the state
      // An OrderedDict's state is its instance attributes (torch puts `_metadata` there), never its
      // items, so it is dropped. Setting state on anything else could run code.
      const Value* target = top();
      if (target->kind != Kind::Dict)
        refuse(std::string("set the state (BUILD) of a value of type ") + kind_name(target->kind));
      break;
    }
    case BINPERSID: {
      const Value* pid = pop();
      Value* v = make(Kind::Object);
      v->object = hooks_.persistent_load(*pid);
      push(v);
      break;
    }
    default: {
      char buf[64];
      std::snprintf(buf, sizeof buf, "unsupported opcode 0x%02x", op);
      fail(buf);
    }
  }
  return true;
}

const Value* Machine::run() {
  while (step()) {
  }
  return result_;
}

// Recursive, but bounded by kMaxDepth (which also stops cycles); `visits_` stops a DAG that reuses
// one container many times from expanding exponentially. Every legitimate reference costs at least
// one opcode byte, so a real pickle never visits more values than it has bytes.
void Machine::collect_into(const Value* v, const std::string& name, const char* odd_key, int depth,
                           std::vector<std::pair<std::string, std::any>>& out) {
  if (++visits_ > size_)
    throw Error(path_ +
                ": pickle result reuses the same containers over and over (more values "
                "than the pickle has bytes)");
  if (depth > kMaxDepth)
    throw Error(path_ + ": pickle result nests containers more than " + std::to_string(kMaxDepth) +
                " levels deep (or contains itself)");
  auto child = [&](const std::string& key) { return name.empty() ? key : name + "." + key; };
  switch (v->kind) {
    case Kind::Object:
      if (odd_key)
        throw Error(path_ + ": an object under '" + printable(name) + "' has a dict key of type " +
                    odd_key + "; only str and int keys can name tensors");
      out.emplace_back(name, v->object);
      break;
    case Kind::Tuple:
    case Kind::List:
      for (size_t k = 0; k < v->items.size(); ++k)
        collect_into(v->items[k], child(std::to_string(k)), odd_key, depth + 1, out);
      break;
    case Kind::Dict:
      for (size_t k = 0; k + 1 < v->items.size(); k += 2) {
        const Value* key = v->items[k];
        if (key->kind == Kind::Str || key->kind == Kind::Int)
          collect_into(v->items[k + 1],
                       child(key->kind == Kind::Str ? key->s : std::to_string(key->i)), odd_key,
                       depth + 1, out);
        else
          collect_into(v->items[k + 1], name, kind_name(key->kind), depth + 1, out);
      }
      break;
    default:
      break;  // a plain leaf: skipped
  }
}

std::vector<std::pair<std::string, std::any>> Machine::collect(const Value* root) {
  std::vector<std::pair<std::string, std::any>> out;
  collect_into(root, "", nullptr, 0, out);
  return out;
}

}  // namespace

const char* kind_name(Value::Kind kind) {
  switch (kind) {
    case Kind::None:
      return "None";
    case Kind::Bool:
      return "bool";
    case Kind::Int:
      return "int";
    case Kind::BigInt:
      return "int wider than 64 bits";
    case Kind::Float:
      return "float";
    case Kind::Str:
      return "str";
    case Kind::Bytes:
      return "bytes";
    case Kind::Tuple:
      return "tuple";
    case Kind::List:
      return "list";
    case Kind::Dict:
      return "dict";
    case Kind::Global:
      return "global";
    case Kind::Object:
      return "object";
  }
  return "value";
}

std::vector<std::pair<std::string, std::any>> load_objects(const uint8_t* data, size_t size,
                                                           const std::string& path,
                                                           const Hooks& hooks) {
  Machine m(data, size, path, hooks);
  return m.collect(m.run());
}

}  // namespace ss::io::pickle
