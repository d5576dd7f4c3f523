// The streaming safetensors writer (trace's output): a complete stream is byte-identical to
// write_safetensors, a stream cut short is a valid file holding exactly the items written, and
// nothing but a finished file ever appears at the final path.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/assets.h"
#include "io/atomic_file.h"
#include "io/path_list.h"
#include "io/safetensors.h"
#include "io/safetensors_stream.h"
#include "io_test_util.h"

namespace {

using ss::io::DType;
using ss::io::RawTensor;
using ss::io::SafetensorsFile;
using ss::io::SafetensorsStreamWriter;
using ss::test::make_tensor;
namespace fs = std::filesystem;

constexpr int64_t kItems = 7;

// Three per-item tensors of different dtypes and ranks (one a scalar per item), with values that
// differ per item so a slice moved to the wrong place shows.
std::vector<RawTensor> items_of(int64_t first, int64_t count) {
  std::vector<float> a;
  std::vector<int64_t> b;
  std::vector<uint8_t> c;
  for (int64_t i = first; i < first + count; ++i) {
    for (int j = 0; j < 6; ++j) a.push_back(static_cast<float>(100 * i + j));
    b.push_back(-i);
    c.push_back(static_cast<uint8_t>(i + 1));
  }
  return {make_tensor("a.f32", DType::F32, {count, 2, 3}, a), make_tensor("b.i64", DType::I64, {count, 1}, b),
          make_tensor("c.u8", DType::U8, {count}, c)};
}

std::vector<SafetensorsStreamWriter::ItemTensor> specs() {
  return {{"a.f32", DType::F32, {2, 3}}, {"b.i64", DType::I64, {1}}, {"c.u8", DType::U8, {}}};
}

RawTensor shared_table() { return make_tensor("shared.f32", DType::F32, {1, 3}, std::vector<float>{0.5f, -1, 2}); }

std::map<std::string, std::string> meta(int64_t items) { return {{"items", std::to_string(items)}, {"note", "é"}}; }

uint64_t header_length(const std::string& bytes) {
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(bytes[static_cast<size_t>(i)]);
  return n;
}

TEST(SafetensorsStream, CompleteStreamIsByteIdenticalToWriteSafetensors) {
  const auto dir = ss::test::scratch_dir();
  const std::string path = (dir / "stream.safetensors").string();
  {
    SafetensorsStreamWriter w(path, kItems, specs(), {shared_table()}, meta(kItems));
    EXPECT_TRUE(fs::exists(path + ".tmp"));
    EXPECT_FALSE(fs::exists(path));
    w.append(items_of(0, 3));
    w.append(items_of(3, 1));
    w.append(items_of(4, 3));
    EXPECT_EQ(w.items_written(), kItems);
    w.finish(meta(kItems));
  }
  std::vector<RawTensor> whole = items_of(0, kItems);
  whole.push_back(shared_table());
  ss::io::write_safetensors((dir / "whole.safetensors").string(), whole, meta(kItems));
  EXPECT_EQ(ss::test::read_file(path), ss::test::read_file(dir / "whole.safetensors"));
  EXPECT_FALSE(fs::exists(path + ".tmp"));
}

// Ctrl-C after 3 of 7 items: the file holds items 0-2 of every per-item tensor, the shared tensor
// whole, and the new metadata; the header keeps its first length, padded with spaces.
TEST(SafetensorsStream, CutShortKeepsExactlyTheItemsWritten) {
  const auto dir = ss::test::scratch_dir();
  const std::string path = (dir / "cut.safetensors").string();
  {
    SafetensorsStreamWriter w(path, kItems, specs(), {shared_table()}, meta(kItems));
    w.append(items_of(0, 2));
    w.append(items_of(2, 1));
    w.finish(meta(3));
  }
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  const SafetensorsFile f = SafetensorsFile::open(path);  // the strict reader: offsets tile the data exactly
  EXPECT_EQ(f.metadata(), meta(3));
  std::vector<RawTensor> want = items_of(0, 3);
  want.push_back(shared_table());
  ASSERT_EQ(f.tensors().size(), want.size());
  for (const RawTensor& t : want) {
    const RawTensor* got = f.find(t.name);
    ASSERT_NE(got, nullptr) << t.name;
    EXPECT_EQ(got->shape, t.shape) << t.name;
    EXPECT_EQ(ss::test::bytes_of(*got), ss::test::bytes_of(t)) << t.name;
  }
  // Same tensors as a 3-item write_safetensors, but under the longer header the stream started with.
  ss::io::write_safetensors((dir / "three.safetensors").string(), want, meta(3));
  const std::string cut = ss::test::read_file(path), three = ss::test::read_file(dir / "three.safetensors");
  const uint64_t n_cut = header_length(cut), n_three = header_length(three);
  EXPECT_GE(n_cut, n_three);
  EXPECT_EQ(n_cut % 8, 0u);
  EXPECT_EQ(cut.substr(8 + n_cut), three.substr(8 + n_three));
  const size_t json_end = three.find_last_not_of(' ', 8 + n_three - 1) + 1;  // the same JSON, more spaces
  EXPECT_EQ(cut.substr(8, json_end - 8), three.substr(8, json_end - 8));
  EXPECT_EQ(cut.find_last_not_of(' ', 8 + n_cut - 1) + 1, json_end);
}

TEST(SafetensorsStream, NothingWrittenGivesEmptyItemTensors) {
  const std::string path = (ss::test::scratch_dir() / "none.safetensors").string();
  {
    SafetensorsStreamWriter w(path, kItems, specs(), {}, {});
    w.finish({});
  }
  const SafetensorsFile f = SafetensorsFile::open(path);
  ASSERT_NE(f.find("a.f32"), nullptr);
  EXPECT_EQ(f.find("a.f32")->shape, (std::vector<int64_t>{0, 2, 3}));
  EXPECT_EQ(f.find("c.u8")->shape, (std::vector<int64_t>{0}));
}

TEST(SafetensorsStream, RefusesMismatchedBatchesAndLeavesNoFileWhenAbandoned) {
  const auto dir = ss::test::scratch_dir();
  const std::string path = (dir / "bad.safetensors").string();
  {
    SafetensorsStreamWriter w(path, 2, specs(), {shared_table()}, {});
    auto wrong_shape = items_of(0, 1);
    wrong_shape[0] = make_tensor("a.f32", DType::F32, {1, 3, 2}, std::vector<float>(6));
    EXPECT_SS_ERROR(w.append(wrong_shape), path, "expected F32 [1, 2, 3]");
    auto wrong_dtype = items_of(0, 1);
    wrong_dtype[2] = make_tensor("c.u8", DType::I8, {1}, std::vector<uint8_t>{1});
    EXPECT_SS_ERROR(w.append(wrong_dtype), path, "'c.u8' is I8 [1], expected U8 [1]");
    auto unknown = items_of(0, 1);
    unknown[1].name = "shared.f32";
    EXPECT_SS_ERROR(w.append(unknown), path, "'shared.f32' is not a per-item tensor");
    auto missing = items_of(0, 1);
    missing.pop_back();
    EXPECT_SS_ERROR(w.append(missing), path, "must hold the 3 per-item tensors, got 2");
    EXPECT_SS_ERROR(w.append(items_of(0, 3)), path, "a batch of 3 items after 0 exceeds the 2 items declared");
    w.append(items_of(0, 1));  // errors left the writer usable
    EXPECT_EQ(w.items_written(), 1);
    EXPECT_SS_ERROR(w.finish({{"k", std::string(200, 'x')}}), path, "the final header needs");
  }  // abandoned after an error: no output, no temporary
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(fs::exists(path + ".tmp"));

  EXPECT_SS_ERROR(SafetensorsStreamWriter(path, 2, specs(), {make_tensor("a.f32", DType::U8, {1}, std::vector<uint8_t>{1})}, {}),
                  path, "two tensors are named 'a.f32'");
  EXPECT_SS_ERROR(SafetensorsStreamWriter(path, INT64_MAX / 4, specs(), {}, {}), path, "overflows 64-bit sizes");
  const std::string nodir = (dir / "no" / "such.safetensors").string();
  EXPECT_SS_ERROR(SafetensorsStreamWriter(nodir, 1, specs(), {}, {}), nodir + ".tmp", "cannot write");
  EXPECT_FALSE(fs::exists(path + ".tmp"));
}

TEST(AtomicFile, WritesInPlaceAndReplacesThePathOnlyOnCommit) {
  const auto dir = ss::test::scratch_dir();
  const std::string path = (dir / "f.bin").string();
  ss::io::write_file_atomic(path, "old");
  {
    ss::io::AtomicFile f(path);
    f.write_at(4, "tail", 4);  // past the end: bytes 0-3 read as zeros
    f.append("!", 1);
    f.write_at(0, "head", 4);
    char back[4];
    f.read_at(4, back, 4);
    EXPECT_EQ(std::string(back, 4), "tail");
    f.truncate(6);
    EXPECT_EQ(f.size(), 6u);
    EXPECT_EQ(ss::test::read_file(path), "old");  // untouched until commit
    f.commit();
    EXPECT_SS_ERROR(f.commit(), path + ".tmp", "already committed");
  }
  EXPECT_EQ(ss::test::read_file(path), "headta");
  {
    ss::io::AtomicFile f(path);
    f.append("never", 5);
  }
  EXPECT_EQ(ss::test::read_file(path), "headta");
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  const std::string nodir = (dir / "no" / "f.bin").string();
  EXPECT_SS_ERROR(ss::io::write_file_atomic(nodir, "x"), nodir + ".tmp", "cannot write (No such file or directory)");
}

TEST(PathList, OnePathPerLineSkippingBlankLines) {
  const auto dir = ss::test::scratch_dir();
  ss::test::write_file(dir / "l.txt", "a.jpg\r\n\n sub dir/b c.png\n \t\n/abs/d.jpeg");
  EXPECT_EQ(ss::io::read_path_list((dir / "l.txt").string()),
            (std::vector<std::string>{"a.jpg", " sub dir/b c.png", "/abs/d.jpeg"}));
  ss::test::write_file(dir / "empty.txt", "\n\r\n");
  EXPECT_SS_ERROR(ss::io::read_path_list((dir / "empty.txt").string()), (dir / "empty.txt").string(), "no paths");
  ss::test::write_file(dir / "nul.txt", std::string("a\nb\0c\n", 6));
  EXPECT_SS_ERROR(ss::io::read_path_list((dir / "nul.txt").string()), (dir / "nul.txt").string(), "line 2 holds a NUL");
  EXPECT_SS_ERROR(ss::io::read_path_list((dir / "missing.txt").string()), (dir / "missing.txt").string(), "cannot read");
  EXPECT_SS_ERROR(ss::io::read_path_list(dir.string()), dir.string(), "is a directory");
}

}  // namespace
