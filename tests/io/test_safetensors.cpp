#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/assets.h"
#include "io/mmap_file.h"
#include "io/safetensors.h"
#include "io_test_util.h"

namespace {

using ss::io::DType;
using ss::io::RawTensor;
using ss::io::SafetensorsFile;
using ss::io::write_safetensors;
using ss::test::make_tensor;
namespace fs = std::filesystem;

std::string u64le(uint64_t n) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>(n >> (8 * i));
  return s;
}

// A safetensors file with this exact header text followed by `data_bytes` zero bytes.
std::string st_file(const std::string& header, size_t data_bytes) {
  return u64le(header.size()) + header + std::string(data_bytes, '\0');
}

std::vector<RawTensor> sample_tensors() {
  const uint16_t f16[] = {0x3c00, 0xc000, 0x7bff, 0x0001};  // 1, -2, max, min subnormal
  const uint16_t bf16[] = {0x3f80, 0x4049, 0xff80};         // 1, 3.14, -inf
  return {
      make_tensor("f32", DType::F32, {2, 3}, std::vector<float>{1, -2, 3.5f, 0, 1e-8f, 6}),
      make_tensor("f16", DType::F16, {4}, f16, sizeof f16),
      make_tensor("bf16", DType::BF16, {3, 1}, bf16, sizeof bf16),
      make_tensor("i64", DType::I64, {2}, std::vector<int64_t>{-1, INT64_MAX}),
      make_tensor("scalar.i32", DType::I32, {}, std::vector<int32_t>{-7}),
      make_tensor("empty.u8", DType::U8, {0, 5}, std::vector<uint8_t>{}),
      make_tensor("u8", DType::U8, {3}, std::vector<uint8_t>{0, 128, 255}),
      make_tensor("bool", DType::BOOL, {2, 2}, std::vector<uint8_t>{1, 0, 0, 1}),
  };
}

TEST(Safetensors, RoundTripsEveryDtypeWithMetadata) {
  const auto path = (ss::test::scratch_dir() / "rt.safetensors").string();
  const auto in = sample_tensors();
  const std::map<std::string, std::string> meta = {{"format", "pt"}, {"note", "a \"quoted\" é"}};
  write_safetensors(path, in, meta);
  EXPECT_FALSE(fs::exists(path + ".tmp"));

  const SafetensorsFile f = SafetensorsFile::open(path);
  EXPECT_EQ(f.metadata(), meta);
  ASSERT_EQ(f.tensors().size(), in.size());
  for (const RawTensor& want : in) {
    const RawTensor* got = f.find(want.name);
    ASSERT_NE(got, nullptr) << want.name;
    EXPECT_EQ(got->dtype, want.dtype) << want.name;
    EXPECT_EQ(got->shape, want.shape) << want.name;
    EXPECT_EQ(ss::test::bytes_of(*got), ss::test::bytes_of(want)) << want.name;
  }
  EXPECT_EQ(f.find("scalar.i32")->numel(), 1);
  EXPECT_EQ(f.find("empty.u8")->nbytes, 0u);
  EXPECT_EQ(f.find("missing"), nullptr);
}

TEST(Safetensors, WriterOrdersByAlignmentThenNameAndReaderByOffset) {
  const auto path = (ss::test::scratch_dir() / "order.safetensors").string();
  write_safetensors(path, sample_tensors());
  const SafetensorsFile f = SafetensorsFile::open(path);
  std::vector<std::string> names;
  for (const RawTensor& t : f.tensors()) names.push_back(t.name);
  // I64 > F32 > I32 > BF16 > F16 > U8 > BOOL (the reference's Dtype order), ties by name.
  EXPECT_EQ(names, (std::vector<std::string>{"i64", "f32", "scalar.i32", "bf16", "f16", "empty.u8",
                                             "u8", "bool"}));
  for (size_t i = 1; i < f.tensors().size(); ++i)
    EXPECT_EQ(f.tensors()[i].data, f.tensors()[i - 1].data + f.tensors()[i - 1].nbytes);
}

TEST(Safetensors, ReadsZeroCopyAlignedAndOutlivesTheFileObject) {
  const auto path = (ss::test::scratch_dir() / "zc.safetensors").string();
  write_safetensors(path, sample_tensors());
  std::vector<RawTensor> kept;
  {
    const SafetensorsFile f = SafetensorsFile::open(path);
    kept = f.tensors();
  }
  const auto* map = static_cast<const ss::io::MmapFile*>(kept.front().owner.get());
  ASSERT_NE(map, nullptr);
  EXPECT_EQ(map->path(), path);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(kept.front().data) % 8, 0u);  // data buffer 8-aligned
  for (const RawTensor& t : kept) {
    EXPECT_EQ(t.owner, kept.front().owner);
    EXPECT_GE(t.data, map->data());
    EXPECT_LE(t.data + t.nbytes, map->data() + map->size());
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data) % ss::io::dtype_size(t.dtype), 0u) << t.name;
  }
  EXPECT_EQ(ss::test::values_of<int64_t>(kept.front()), (std::vector<int64_t>{-1, INT64_MAX}));
}

// The byte layout the safetensors reference serializer produces for the same input.
TEST(Safetensors, WriterMatchesTheReferenceLayout) {
  const auto dir = ss::test::scratch_dir();
  write_safetensors(
      (dir / "a.safetensors").string(),
      {make_tensor("attn.0", DType::F32, {1, 2, 3}, std::vector<float>{0, 1, 2, 3, 4, 5})});
  const std::string header = R"({"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}})";
  std::string want = u64le(64) + header + std::string(64 - header.size(), ' ');
  const float v[] = {0, 1, 2, 3, 4, 5};
  want.append(reinterpret_cast<const char*>(v), sizeof v);
  EXPECT_EQ(ss::test::read_file(dir / "a.safetensors"), want);

  write_safetensors((dir / "empty.safetensors").string(), {});
  EXPECT_EQ(ss::test::read_file(dir / "empty.safetensors"), u64le(8) + "{}      ");
  write_safetensors((dir / "meta.safetensors").string(), {}, {{"framework", "pt"}});
  EXPECT_EQ(ss::test::read_file(dir / "meta.safetensors"),
            u64le(40) + R"({"__metadata__":{"framework":"pt"}})" + "     ");
}

TEST(Safetensors, WriterRejectsBadInputWithoutLeavingFiles) {
  const auto dir = ss::test::scratch_dir();
  const auto path = (dir / "bad.safetensors").string();
  const auto t = make_tensor("x", DType::F32, {2}, std::vector<float>{1, 2});
  EXPECT_SS_ERROR(write_safetensors(path, {t, t}), path, "two tensors are named 'x'");
  auto short_t = t;
  short_t.nbytes = 4;
  EXPECT_SS_ERROR(write_safetensors(path, {short_t}), path, "does not match F32 [2]");
  auto reserved = t;
  reserved.name = "__metadata__";
  EXPECT_SS_ERROR(write_safetensors(path, {reserved}), path, "reserved");
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(fs::exists(path + ".tmp"));

  const auto nodir = (dir / "no" / "such" / "x.safetensors").string();
  EXPECT_SS_ERROR(write_safetensors(nodir, {t}), nodir + ".tmp", "cannot write");

  // Overwriting an existing file replaces it.
  write_safetensors(path, {t});
  write_safetensors(path, {make_tensor("y", DType::U8, {1}, std::vector<uint8_t>{9})});
  EXPECT_NE(SafetensorsFile::open(path).find("y"), nullptr);
}

TEST(Safetensors, AcceptsAnyHeaderOrderPaddingAndEmptyTensors) {
  const auto path = (ss::test::scratch_dir() / "hand.safetensors").string();
  ss::test::write_file(path, st_file(R"({"b":{"dtype":"U8","shape":[2],"data_offsets":[4,6]},)"
                                     R"("z":{"dtype":"F32","shape":[0,3],"data_offsets":[4,4]},)"
                                     R"("a":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}   )",
                                     6));
  const SafetensorsFile f = SafetensorsFile::open(path);
  ASSERT_EQ(f.tensors().size(), 3u);
  EXPECT_EQ(f.tensors()[0].name, "a");
  EXPECT_EQ(f.tensors()[1].name, "z");
  EXPECT_EQ(f.tensors()[2].name, "b");
  EXPECT_TRUE(f.metadata().empty());
}

class MalformedSafetensors : public ::testing::Test {
 protected:
  void expect(const std::string& bytes, const std::string& phrase) {
    ss::test::write_file(path_, bytes);
    EXPECT_SS_ERROR(SafetensorsFile::open(path_), path_, phrase);
  }
  std::string path_ = (ss::test::scratch_dir() / "bad.safetensors").string();
};

std::string one(const std::string& entry) { return R"({"t":)" + entry + "}"; }

TEST_F(MalformedSafetensors, Truncated) {
  expect("", "file is 0 bytes");
  expect("abc", "8-byte header length");
  const std::string good = st_file(one(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8]})"), 8);
  expect(good.substr(0, 20), "runs past the end of the file");
  expect(good.substr(0, good.size() - 3), "need 8 bytes of data but only 5 follow the header");
}

TEST_F(MalformedSafetensors, HeaderLength) {
  expect(u64le(100'000'001) + "{}", "exceeds the safetensors limit of 100000000 bytes");
  expect(u64le(UINT64_MAX) + "{}", "exceeds the safetensors limit");
  expect(u64le(50) + "{}      ", "header length 50 runs past the end of the file (16 bytes)");
}

TEST_F(MalformedSafetensors, NotAJsonObject) {
  expect(st_file("{not json}", 0), "header is not valid JSON");
  expect(st_file("[1, 2]", 0), "does not start with '{'");
  expect(st_file(" {}", 0), "does not start with '{'");
  expect(st_file("", 0), "does not start with '{'");
  expect(st_file("{\"t\xff\":1}", 0), "not valid JSON");
  expect(st_file("{} x", 0), "not valid JSON");
  expect(st_file(one("[[[[[[1]]]]]]"), 0), "nested more than 3 levels deep");
}

TEST_F(MalformedSafetensors, BadEntries) {
  expect(st_file(one("3"), 0), "tensor 't' must be an object");
  expect(st_file(one(R"({"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]})"), 1),
         "tensor 't' has unknown dtype \"F8_E4M3\"");
  expect(st_file(one(R"({"dtype":7,"shape":[1],"data_offsets":[0,1]})"), 1), "unknown dtype 7");
  expect(st_file(one(R"({"shape":[1],"data_offsets":[0,1]})"), 1), "tensor 't' has no 'dtype'");
  expect(st_file(one(R"({"dtype":"U8","data_offsets":[0,1]})"), 1), "has no 'shape'");
  expect(st_file(one(R"({"dtype":"U8","shape":[1]})"), 1), "has no 'data_offsets'");
  for (const char* shape : {"[-1]", "[1.5]", "[\"2\"]", "3", "[9223372036854775808]"})
    expect(st_file(one(std::string(R"({"dtype":"U8","data_offsets":[0,0],"shape":)") + shape + "}"),
                   0),
           "'shape' must be a list of non-negative integers");
  expect(st_file(one(R"({"dtype":"U8","shape":[1],"data_offsets":[0]})"), 1),
         "'data_offsets' must be [begin, end]");
  expect(st_file(one(R"({"dtype":"U8","shape":[1],"data_offsets":[0,-1]})"), 1),
         "'data_offsets' must be a list of non-negative integers");
}

TEST_F(MalformedSafetensors, OffsetsMustTileTheBuffer) {
  const std::string a = R"("a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]})";
  expect(st_file("{" + a + R"(,"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})", 12),
         "tensor 'b' data_offsets begin at 8, expected 4");  // a hole
  expect(st_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                 R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                 8),
         "tensor 'b' data_offsets begin at 4, expected 8");  // an overlap
  expect(st_file(one(R"({"dtype":"F32","shape":[1],"data_offsets":[4,8]})"), 8),
         "tensor 't' data_offsets begin at 4, expected 0");
  expect(st_file("{" + a + R"(,"b":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}})", 4),
         "tensor 'b' data_offsets end 0 is before their begin 4");
  expect(st_file(one(R"({"dtype":"F32","shape":[2],"data_offsets":[0,4]})"), 4),
         "tensor 't' is F32 [2] = 8 bytes but its data_offsets span 4");
  expect(
      st_file(one(R"({"dtype":"F32","shape":[1099511627776,1099511627776],"data_offsets":[0,4]})"),
              4),
      "shape [1099511627776, 1099511627776] of F32 overflows");
  expect(st_file(one(R"({"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,4]})"), 4),
         "overflows");
  expect(st_file("{" + a + "}", 12), "data buffer is 12 bytes but the tensors cover 4");
  expect(st_file("{}", 1), "trailing bytes");
}

TEST_F(MalformedSafetensors, DuplicatesAndMetadata) {
  const std::string e = R"({"dtype":"U8","shape":[0],"data_offsets":[0,0]})";
  expect(st_file(R"({"t":)" + e + R"(,"t":)" + e + "}", 0), "duplicate key \"t\"");
  expect(st_file(one(R"({"dtype":"U8","dtype":"U8","shape":[0],"data_offsets":[0,0]})"), 0),
         "duplicate key \"dtype\"");
  expect(st_file(R"({"__metadata__":{"a":1}})", 0),
         "'__metadata__' value for 'a' must be a string, got number");
  expect(st_file(R"({"__metadata__":{"a":{"b":"c"}}})", 0), "must be a string, got object");
  expect(st_file(R"({"__metadata__":["x"]})", 0), "'__metadata__' must be an object");
}

TEST(Safetensors, OpenNamesMissingFilesAndDirectories) {
  const auto dir = ss::test::scratch_dir();
  EXPECT_SS_ERROR(SafetensorsFile::open(dir.string()), dir.string(), "is a directory");
  const auto missing = (dir / "nope.safetensors").string();
  EXPECT_SS_ERROR(SafetensorsFile::open(missing), missing, "cannot open: No such file");
}

TEST(Safetensors, ReadsTheFixtureCheckpoint) {
  SS_REQUIRE_ASSET("fixtures/dinov2_vit_noreg_224/original/model.safetensors");
  const auto f = SafetensorsFile::open(
      ss::test::asset("fixtures/dinov2_vit_noreg_224/original/model.safetensors").string());
  EXPECT_EQ(f.metadata().at("format"), "pt");
  const RawTensor* w = f.find("blocks.0.attn.proj.weight");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->dtype, DType::F32);
  EXPECT_EQ(w->shape, (std::vector<int64_t>{64, 64}));
}

}  // namespace
