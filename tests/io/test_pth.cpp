#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "common/assets.h"
#include "io/pth.h"
#include "io/safetensors.h"
#include "io_test_util.h"
#include "torch_save_builder.h"

namespace {

using ss::io::DType;
using ss::io::RawTensor;
using ss::io::read_pth;
using ss::test::float_bytes;
using ss::test::PickleWriter;
using ss::test::values_of;
using ss::test::write_torch_zip;
namespace fs = std::filesystem;

std::map<std::string, RawTensor> by_name(const std::vector<RawTensor>& ts) {
  std::map<std::string, RawTensor> m;
  for (const RawTensor& t : ts) m[t.name] = t;
  return m;
}

// A state dict {name: tensor, ...} pickle, the tensors written by `body`.
template <typename F>
std::string state_dict(F&& body) {
  PickleWriter p;
  p.proto().ordered_dict().mark();
  body(p);
  return p.op('u').stop().bytes();
}

class Pth : public ::testing::Test {
 protected:
  // Writes an archive with `pickle` and these storages, then reads it.
  std::vector<RawTensor> load(const std::string& pickle,
                              const std::vector<std::pair<std::string, std::string>>& storages) {
    write_torch_zip(path_, pickle, storages);
    return read_pth(path_);
  }
  // Expects reading such an archive to fail with `phrase`.
  void refuse(const std::string& pickle, const std::string& phrase,
              const std::vector<std::pair<std::string, std::string>>& storages = {}) {
    write_torch_zip(path_, pickle, storages);
    EXPECT_SS_ERROR(read_pth(path_), path_, phrase);
  }
  fs::path dir_ = ss::test::scratch_dir();
  std::string path_ = (dir_ / "model.pth").string();
};

TEST_F(Pth, RealFixtureMatchesItsSafetensorsTwin) {
  SS_REQUIRE_ASSET("fixtures/dinov2_vit_noreg_224/original/model.pth");
  SS_REQUIRE_ASSET("fixtures/dinov2_vit_noreg_224/original/model.safetensors");
  const auto pth = read_pth(ss::test::asset("fixtures/dinov2_vit_noreg_224/original/model.pth"));
  const auto st = ss::io::SafetensorsFile::open(
      ss::test::asset("fixtures/dinov2_vit_noreg_224/original/model.safetensors").string());
  ASSERT_EQ(pth.size(), st.tensors().size());
  for (const RawTensor& t : pth) {
    const RawTensor* want = st.find(t.name);
    ASSERT_NE(want, nullptr) << t.name;
    EXPECT_EQ(t.dtype, want->dtype) << t.name;
    EXPECT_EQ(t.shape, want->shape) << t.name;
    EXPECT_EQ(ss::test::bytes_of(t), ss::test::bytes_of(*want)) << t.name;
  }
  EXPECT_EQ(pth.front().name, "cls_token");  // state_dict order is kept
}

TEST_F(Pth, MaterialisesATransposedViewWithAStorageOffset) {
  std::vector<float> s(12);
  for (int i = 0; i < 12; ++i) s[i] = static_cast<float>(i);
  // The [2, 4] matrix starting at element 3, transposed: size [4, 2], stride [1, 4].
  const auto ts = load(state_dict([](PickleWriter& p) {
                         p.str("t").tensor("FloatStorage", "0", 12, 3, {4, 2}, {1, 4});
                       }),
                       {{"0", float_bytes(s)}});
  ASSERT_EQ(ts.size(), 1u);
  EXPECT_EQ(ts[0].shape, (std::vector<int64_t>{4, 2}));
  EXPECT_EQ(values_of<float>(ts[0]), (std::vector<float>{3, 7, 4, 8, 5, 9, 6, 10}));
}

TEST_F(Pth, ViewsShareOneStorageWithoutCopies) {
  // A fused qkv weight and its chunks, as torch saves views: one storage, three offsets.
  std::vector<float> s(12);
  for (int i = 0; i < 12; ++i) s[i] = static_cast<float>(i) * 0.5f;
  const auto ts = by_name(load(state_dict([](PickleWriter& p) {
                                 p.str("qkv").tensor("FloatStorage", "7", 12, 0, {3, 4}, {4, 1});
                                 p.str("q").tensor("FloatStorage", "7", 12, 0, {4}, {1});
                                 p.str("k").tensor("FloatStorage", "7", 12, 4, {4}, {1});
                                 p.str("v").tensor("FloatStorage", "7", 12, 8, {2, 2}, {2, 1});
                                 p.str("scalar").tensor("FloatStorage", "7", 12, 11, {}, {});
                               }),
                               {{"7", float_bytes(s)}}));
  ASSERT_EQ(ts.size(), 5u);
  EXPECT_EQ(values_of<float>(ts.at("k")), (std::vector<float>{2, 2.5, 3, 3.5}));
  EXPECT_EQ(values_of<float>(ts.at("v")), (std::vector<float>{4, 4.5, 5, 5.5}));
  EXPECT_EQ(values_of<float>(ts.at("scalar")), (std::vector<float>{5.5}));
  EXPECT_EQ(ts.at("q").data, ts.at("qkv").data);
  EXPECT_EQ(ts.at("k").data, ts.at("qkv").data + 16);
  EXPECT_EQ(ts.at("k").owner, ts.at("qkv").owner);
}

TEST_F(Pth, FlattensNestedDictsAndSkipsPlainValues) {
  PickleWriter p;
  p.proto().op('}').mark();
  p.str("model").op('}').mark();
  p.str("a.weight").float_tensor("0", {2});
  p.str("blocks").op(']').mark().float_tensor("1", {1}).float_tensor("2", {1}).op('e');
  p.op('u');
  p.str("epoch").integer(12).str("lr").op('G').raw(
      std::string("\x3f\xb9\x99\x99\x99\x99\x99\x9a", 8));
  p.str("name").str("dinov2").str("flag").op(0x88).str("none").op('N');
  p.str("big").op(0x8a).op(9).raw(std::string(9, '\x01'));
  p.integer(3)
      .str("int key")
      .integer(5)
      .float_tensor("3", {1})
      .str("args")
      .mark()
      .integer(-5)
      .op(0x89)
      .op('t');
  p.op('u').stop();
  const auto ts = load(p.bytes(), {{"0", float_bytes({1, 2})},
                                   {"1", float_bytes({3})},
                                   {"2", float_bytes({4})},
                                   {"3", float_bytes({6})}});
  std::vector<std::string> names;
  for (const RawTensor& t : ts) names.push_back(t.name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"model.a.weight", "model.blocks.0", "model.blocks.1", "5"}));
  EXPECT_EQ(values_of<float>(ts[2]), (std::vector<float>{4}));
}

TEST_F(Pth, UnwrapsParametersAndAcceptsTorch2Arguments) {
  PickleWriter p;
  p.proto().ordered_dict().mark();
  p.str("w").global("torch._utils", "_rebuild_parameter").mark().float_tensor("0", {2});
  p.op(0x88).ordered_dict().op('t').op('R');
  p.str("s").global("torch._utils", "_rebuild_parameter_with_state").mark().float_tensor("1", {1});
  p.op(0x89).ordered_dict().op('}').op('t').op('R');
  // _rebuild_tensor_v2 with torch 2.x's 7th (metadata) argument, and the legacy _rebuild_tensor.
  p.str("m").global("torch._utils", "_rebuild_tensor_v2").mark().storage("FloatStorage", "2", 1);
  p.integer(0).ints({1}).ints({1}).op(0x89).ordered_dict().op('}').op('t').op('R');
  p.str("old").global("torch._utils", "_rebuild_tensor").mark().storage("FloatStorage", "3", 1);
  p.integer(0).ints({}).ints({}).op('t').op('R');
  p.op('u');
  // torch sets the state dict's `_metadata` attribute with BUILD.
  p.op('}').str("_metadata").ordered_dict().op('s').op('b').stop();
  const auto ts = by_name(load(p.bytes(), {{"0", float_bytes({1, 2})},
                                           {"1", float_bytes({3})},
                                           {"2", float_bytes({4})},
                                           {"3", float_bytes({5})}}));
  ASSERT_EQ(ts.size(), 4u);
  EXPECT_EQ(values_of<float>(ts.at("w")), (std::vector<float>{1, 2}));
  EXPECT_EQ(values_of<float>(ts.at("s")), (std::vector<float>{3}));
  EXPECT_EQ(values_of<float>(ts.at("m")), (std::vector<float>{4}));
  EXPECT_EQ(ts.at("old").shape, std::vector<int64_t>{});
}

TEST_F(Pth, ReadsProtocol4Opcodes) {
  PickleWriter p;
  const std::string frame_body = [] {
    PickleWriter b;
    b.short_str("collections").op(0x94).short_str("OrderedDict").op(0x94);
    b.op(0x93).op(0x94).op(')').op('R').op(0x94).mark();
    b.short_str("t").op(0x94);
    b.short_str("torch._utils").short_str("_rebuild_tensor_v2").op(0x93);
    b.mark().mark().short_str("storage").short_str("torch");
    b.short_str("LongStorage").op(0x93).short_str("0");
    b.short_str("cpu").integer(2).op('t').op('Q');
    b.integer(0).integer(2).op(0x85).integer(1).op(0x85).op(0x89);
    b.op('h').op(2).op(')').op('R').op('t').op('R');
    return b.op('u').stop().bytes();
  }();
  p.proto(4).op(0x95).le(frame_body.size(), 8).raw(frame_body);
  const std::string data =
      std::string("\xff\xff\xff\xff\xff\xff\xff\xff", 8) + std::string("\x07\0\0\0\0\0\0\0", 8);
  const auto ts = load(p.bytes(), {{"0", data}});
  ASSERT_EQ(ts.size(), 1u);
  EXPECT_EQ(ts[0].dtype, DType::I64);
  EXPECT_EQ(values_of<int64_t>(ts[0]), (std::vector<int64_t>{-1, 7}));
}

TEST_F(Pth, TakesTheDtypeFromTheStorageClass) {
  const std::vector<std::pair<const char*, DType>> kinds = {
      {"DoubleStorage", DType::F64}, {"HalfStorage", DType::F16},  {"BFloat16Storage", DType::BF16},
      {"IntStorage", DType::I32},    {"ShortStorage", DType::I16}, {"CharStorage", DType::I8},
      {"ByteStorage", DType::U8},    {"BoolStorage", DType::BOOL}, {"FloatStorage", DType::F32}};
  std::vector<std::pair<std::string, std::string>> storages;
  const std::string pickle = state_dict([&](PickleWriter& p) {
    for (size_t i = 0; i < kinds.size(); ++i) {
      const std::string key = std::to_string(i);
      p.str(kinds[i].first).tensor(kinds[i].first, key, 2, 0, {2}, {1});
      storages.emplace_back(key, std::string(2 * ss::io::dtype_size(kinds[i].second), '\x01'));
    }
  });
  const auto ts = by_name(load(pickle, storages));
  for (const auto& [cls, dtype] : kinds) {
    EXPECT_EQ(ts.at(cls).dtype, dtype) << cls;
    EXPECT_EQ(ts.at(cls).nbytes, 2 * ss::io::dtype_size(dtype)) << cls;
  }
}

TEST_F(Pth, RefusesCodeExecutionAndNeverRunsIt) {
  const fs::path marker = dir_ / "pwned";
  const std::string cmd = "touch " + marker.string();
  for (const auto& [module, name] : std::vector<std::pair<std::string, std::string>>{
           {"os", "system"}, {"posix", "system"}, {"subprocess", "Popen"}, {"builtins", "exec"}}) {
    PickleWriter p;
    p.proto().global(module, name).str(cmd).op(0x85).op('R').stop();
    refuse(p.bytes(), "refusing to unpickle global '" + module + "." + name +
                          "': only tensors and plain containers are allowed");
  }
  PickleWriter stack_global;  // protocol 4 spelling
  stack_global.proto(4).short_str("builtins").short_str("eval");
  stack_global.op(0x93).str("__import__('os').system('" + cmd + "')").op(0x85).op('R').stop();
  refuse(stack_global.bytes(), "refusing to unpickle global 'builtins.eval'");
  PickleWriter inst;  // protocol 0 INST names its class inline
  inst.mark().str(cmd).op('i').raw("os\nsystem\n").stop();
  refuse(inst.bytes(), "refusing to unpickle global 'os.system'");
  PickleWriter hidden;  // a newline smuggled into a STACK_GLOBAL name stays on one line
  hidden.proto(4).short_str("os").short_str("sys\ntem").op(0x93).stop();
  refuse(hidden.bytes(), "refusing to unpickle global 'os.sys\\x0atem'");
  EXPECT_FALSE(fs::exists(marker));
}

TEST_F(Pth, RefusesCallsAndStateOnAnythingButAllowedGlobals) {
  PickleWriter on_str;
  on_str.proto().str("os.system").op(')').op('R').stop();
  refuse(on_str.bytes(), "refusing to call a value of type str");
  PickleWriter storage_call;
  storage_call.proto().global("torch", "FloatStorage").op(')').op(0x81).stop();
  refuse(storage_call.bytes(), "refusing to call 'torch.FloatStorage'");
  PickleWriter build;
  build.proto().float_tensor("0", {1}).op('}').op('b').stop();
  refuse(build.bytes(), "refusing to set the state (BUILD) of a value of type object",
         {{"0", float_bytes({1})}});
  PickleWriter obj;
  obj.proto().mark().global("torch", "HalfStorage").op('o').stop();
  refuse(obj.bytes(), "refusing to call 'torch.HalfStorage'");
  PickleWriter ext;
  ext.proto().op(0x82).op(1).stop();
  refuse(ext.bytes(), "unsupported opcode 0x82");
  PickleWriter untyped;
  untyped.proto().global("torch", "UntypedStorage").stop();
  refuse(untyped.bytes(), "refusing to unpickle global 'torch.UntypedStorage'");
}

TEST_F(Pth, ChecksStoragesAgainstTheTensors) {
  const std::string one = state_dict([](PickleWriter& p) { p.str("w").float_tensor("0", {4}); });
  refuse(one, "tensor 'w' needs storage 'archive/data/0', which the archive does not contain");
  refuse(one, "storage 'archive/data/0' of tensor 'w' is 8 bytes, expected 4 F32 elements = 16",
         {{"0", float_bytes({1, 2})}});
  refuse(state_dict([](PickleWriter& p) {
           p.str("w").tensor("FloatStorage", "0", 4, 2, {2, 2}, {2, 1});
         }),
         "tensor 'w' (size [2, 2], stride [2, 1], storage offset 2) reaches past the end of its "
         "storage of 4 elements",
         {{"0", float_bytes({1, 2, 3, 4})}});
  refuse(state_dict([](PickleWriter& p) {
           p.str("w").tensor("FloatStorage", "0", 1, 0, {5}, {4611686018427387904});
         }),
         "reaches past the end", {{"0", float_bytes({1})}});
  refuse(state_dict([](PickleWriter& p) {
           p.str("e").tensor("FloatStorage", "0", 1, 0, {1000, 1000}, {0, 0});
         }),
         "tensor 'e' (size [1000, 1000], stride [0, 0], storage offset 0) has more elements than "
         "its storage",
         {{"0", float_bytes({1})}});
  refuse(state_dict([](PickleWriter& p) {
           p.str("a").tensor("FloatStorage", "0", 2, 0, {2}, {1});
           p.str("b").tensor("IntStorage", "0", 2, 0, {2}, {1});
         }),
         "tensor 'b' views storage 'archive/data/0' with a different type or size",
         {{"0", float_bytes({1, 2})}});
  refuse(state_dict([](PickleWriter& p) {
           p.str("w").global("torch._utils", "_rebuild_tensor_v2").mark();
           p.storage("FloatStorage", "0", 1).integer(0).ints({1}).ints({1}).op('t').op('R');
         }),
         "torch._utils._rebuild_tensor_v2: expected 6 to 7 arguments, got 4");
  refuse(state_dict([](PickleWriter& p) {
           p.str("w").global("torch._utils", "_rebuild_tensor_v2").mark();
           p.storage("FloatStorage", "0", 1).integer(0).ints({1}).ints({1, 1});
           p.op(0x89).ordered_dict().op('t').op('R');
         }),
         "size and stride have different lengths");
  PickleWriter pid;
  pid.proto().mark().str("storage").str("torch.FloatStorage").str("0").str("cpu").integer(1);
  pid.op('t').op('Q').stop();
  refuse(pid.bytes(), "unsupported persistent id");
}

TEST_F(Pth, RejectsMalformedPickles) {
  const std::string good = state_dict([](PickleWriter& p) { p.str("w").float_tensor("0", {1}); });
  refuse(good.substr(0, good.size() / 2), "malformed pickle at byte");
  refuse(good.substr(0, good.size() - 1), "truncated");
  PickleWriter memo;
  memo.proto().op('j').le(0xfffffff0u, 4).stop();
  refuse(memo.bytes(), "memo index 4294967280 was never stored");
  PickleWriter huge_string;
  huge_string.proto().op(0x8d).le(uint64_t{1} << 62, 8).raw("abc").stop();
  refuse(huge_string.bytes(), "truncated: needs 4611686018427387904 more bytes, 4 left");
  PickleWriter underflow;
  underflow.proto().op('R').stop();
  refuse(underflow.bytes(), "stack underflow");
  PickleWriter dup;  // two tensors whose names collide once joined
  dup.proto().op('}').mark().str("a.b").float_tensor("0", {1}).str("a").op('}').str("b");
  dup.float_tensor("0", {1}).op('s').op('u').stop();
  refuse(dup.bytes(), "two tensors are named 'a.b'", {{"0", float_bytes({1})}});
}

TEST_F(Pth, StaysBoundedOnHostilePickles) {
  PickleWriter deep;  // [[[[...]]]] nested 200000 deep
  deep.proto();
  for (int i = 0; i < 200000; ++i) deep.op(']');
  for (int i = 1; i < 200000; ++i) deep.op('a');
  refuse(deep.stop().bytes(), "nests containers more than 100 levels deep");
  PickleWriter cycle;  // a list that contains itself
  cycle.proto().op(']').op('q').op(0).op('h').op(0).op('a').stop();
  refuse(cycle.bytes(), "pickle result");  // caught by the depth or the visit bound
  PickleWriter dag;                        // l = [l, l] 64 times: 2^64 paths through 64 lists
  dag.proto().op(']');
  for (int i = 0; i < 64; ++i) dag.op('2').op(0x86).op(0x94);
  refuse(dag.stop().bytes(), "reuses the same containers over and over");
  PickleWriter marks;
  marks.proto().raw(std::string(1100000, '('));
  refuse(marks.stop().bytes(), "more than 1048576 MARKs");
  PickleWriter values;
  values.proto().raw(std::string(5000000, ']')).op('0');
  refuse(values.stop().bytes(), "stack deeper than 1048576");
  PickleWriter many;  // many values, but never more than the stack can hold at once
  many.proto();
  for (int i = 0; i < 2100000; ++i) many.op(']').op('0');
  refuse(many.stop().bytes(), "more than 2097152 values");
}

TEST_F(Pth, RejectsArchivesThatAreNotTorchSaveOutput) {
  PickleWriter legacy;  // what pre-1.6 torch.save wrote first: the magic number
  legacy.proto().op(0x8a).op(10).raw(std::string("\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", 10));
  ss::test::write_file(path_, legacy.op('.').bytes());
  EXPECT_SS_ERROR(read_pth(path_), path_, "legacy (pre-1.6) torch.save format");
  EXPECT_SS_ERROR(read_pth(path_), path_, "torch.save(torch.load(f), f)");

  ss::test::write_file(path_, "not a zip at all");
  EXPECT_SS_ERROR(read_pth(path_), path_, "not a torch.save checkpoint");
  ss::test::write_file(path_, std::string("PK\x03\x04", 4) + std::string(40, '\0'));
  EXPECT_SS_ERROR(read_pth(path_), path_, "not a valid zip archive");

  ss::test::write_zip(path_, {{"archive/other.pkl", "x"}});
  EXPECT_SS_ERROR(read_pth(path_), path_, "no '<folder>/data.pkl'");
  ss::test::write_zip(path_, {{"data.pkl", "x"}});
  EXPECT_SS_ERROR(read_pth(path_), path_, "no '<folder>/data.pkl'");

  const std::string pkl = state_dict([](PickleWriter& p) { p.str("w").float_tensor("0", {1}); });
  ss::test::write_zip(path_, {{"m/data.pkl", pkl}, {"m/byteorder", "big"}, {"m/data/0", "abcd"}});
  EXPECT_SS_ERROR(read_pth(path_), path_, "is a big-endian checkpoint");
  ss::test::write_zip(path_,
                      {{"m/data.pkl", pkl}, {"m/byteorder", "middle"}, {"m/data/0", "abcd"}});
  EXPECT_SS_ERROR(read_pth(path_), path_, "'m/byteorder' must say 'little' or 'big'");
  ss::test::write_zip(path_,
                      {{"m/data.pkl", pkl}, {"m/byteorder", "little"}, {"m/data/0", "abcd"}});
  EXPECT_EQ(read_pth(path_).size(), 1u);  // any top folder name works

  // Flip one byte of the stored storage: the CRC check must catch it.
  std::string bytes = ss::test::read_file(path_);
  const size_t at = bytes.find("abcd");
  ASSERT_NE(at, std::string::npos);
  bytes[at] = 'X';
  ss::test::write_file(path_, bytes);
  EXPECT_SS_ERROR(read_pth(path_), path_, "zip entry 'm/data/0' is corrupt");

  EXPECT_SS_ERROR(read_pth(dir_.string()), dir_.string(), "is a directory");
}

TEST(PthMagic, RecognisesZipAndLegacyHeads) {
  const uint8_t zip[] = {'P', 'K', 3, 4, 0};
  const uint8_t legacy[] = {0x80, 2,    0x8a, 0x0a, 0x6c, 0xfc, 0x9c,
                            0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
  const uint8_t safetensors[] = {0x80, 2, 0, 0, 0, 0, 0, 0, '{', '}'};
  EXPECT_TRUE(ss::io::is_torch_save(zip, sizeof zip));
  EXPECT_TRUE(ss::io::is_torch_save(legacy, sizeof legacy));
  EXPECT_FALSE(ss::io::is_torch_save(safetensors, sizeof safetensors));
  EXPECT_FALSE(ss::io::is_torch_save(zip, 3));
}

}  // namespace
