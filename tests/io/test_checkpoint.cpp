#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/assets.h"
#include "io/checkpoint.h"
#include "io/safetensors.h"
#include "io/sharded.h"
#include "io_test_util.h"
#include "torch_save_builder.h"

namespace {

using ss::io::DType;
using ss::io::RawTensor;
using ss::io::read_checkpoint;
using ss::io::read_safetensors_index;
using ss::test::make_tensor;
using ss::test::values_of;
namespace fs = std::filesystem;

std::vector<std::string> names_of(const std::vector<RawTensor>& ts) {
  std::vector<std::string> n;
  for (const RawTensor& t : ts) n.push_back(t.name);
  return n;
}

// Two shards and their index, the way transformers' save_pretrained lays them out.
class Sharded : public ::testing::Test {
 protected:
  void SetUp() override {
    ss::io::write_safetensors((dir_ / "model-00001-of-00002.safetensors").string(),
                              {make_tensor("a", DType::F32, {2}, std::vector<float>{1, 2}),
                               make_tensor("b", DType::I64, {1}, std::vector<int64_t>{42})});
    ss::io::write_safetensors((dir_ / "model-00002-of-00002.safetensors").string(),
                              {make_tensor("c", DType::U8, {3}, std::vector<uint8_t>{7, 8, 9})});
  }
  void write_index(const std::string& weight_map) {
    ss::test::write_file(index_,
                         R"({"metadata": {"total_size": 19}, "weight_map": )" + weight_map + "}");
  }
  fs::path dir_ = ss::test::scratch_dir();
  std::string index_ = (dir_ / "model.safetensors.index.json").string();
};

constexpr const char* kGoodMap =
    R"({"a": "model-00001-of-00002.safetensors", "b": "model-00001-of-00002.safetensors",
        "c": "model-00002-of-00002.safetensors"})";

TEST_F(Sharded, ReadsEveryShardOnce) {
  write_index(kGoodMap);
  const auto ts = read_safetensors_index(index_);
  EXPECT_EQ(names_of(ts), (std::vector<std::string>{"b", "a", "c"}));  // shard, then offset order
  EXPECT_EQ(values_of<int64_t>(ts[0]), (std::vector<int64_t>{42}));
  EXPECT_EQ(values_of<float>(ts[1]), (std::vector<float>{1, 2}));
  EXPECT_EQ(values_of<uint8_t>(ts[2]), (std::vector<uint8_t>{7, 8, 9}));
  EXPECT_EQ(ts[0].owner, ts[1].owner);  // one mapping per shard
  EXPECT_NE(ts[0].owner, ts[2].owner);
  EXPECT_EQ(names_of(read_checkpoint(index_)), names_of(ts));
  EXPECT_EQ(names_of(read_checkpoint(dir_)), names_of(ts));  // the index wins in a folder
}

TEST_F(Sharded, LeavesOutTensorsTheIndexDoesNotList) {
  write_index(R"({"a": "model-00001-of-00002.safetensors"})");
  EXPECT_EQ(names_of(read_safetensors_index(index_)), std::vector<std::string>{"a"});
}

TEST_F(Sharded, RejectsBrokenIndexes) {
  write_index(
      R"({"a": "model-00001-of-00002.safetensors", "zz": "model-00002-of-00002.safetensors"})");
  EXPECT_SS_ERROR(read_safetensors_index(index_), index_,
                  "weight_map puts tensor 'zz' in shard 'model-00002-of-00002.safetensors' but "
                  "that shard does not contain it");
  write_index(R"({"a": "model-00003-of-00002.safetensors"})");
  EXPECT_SS_ERROR(read_safetensors_index(index_), index_,
                  "weight_map names shard 'model-00003-of-00002.safetensors' but");
  write_index(R"({"a": "../model-00001-of-00002.safetensors"})");
  EXPECT_SS_ERROR(read_safetensors_index(index_), index_, "relative to the index's folder");
  write_index(R"({"a": "/etc/passwd"})");
  EXPECT_SS_ERROR(read_safetensors_index(index_), index_, "relative to the index's folder");
  write_index(R"({"a": 3})");
  EXPECT_SS_ERROR(read_safetensors_index(index_), index_, "weight_map entry 'a' must name a shard");
  write_index(R"({"a": "x.safetensors", "a": "y.safetensors"})");
  EXPECT_SS_ERROR(read_safetensors_index(index_), index_, "duplicate key \"a\"");
  write_index("[]");
  EXPECT_SS_ERROR(read_safetensors_index(index_), index_, "no \"weight_map\" object");
  ss::test::write_file(index_, "{\"weight_map\": ");
  EXPECT_SS_ERROR(read_safetensors_index(index_), index_, "index is not valid JSON");

  // A corrupt shard is reported with the shard's own path.
  write_index(kGoodMap);
  const std::string shard = (dir_ / "model-00002-of-00002.safetensors").string();
  ss::test::write_file(shard, "junk");
  EXPECT_SS_ERROR(read_safetensors_index(index_), shard, "8-byte header length");
}

class Checkpoint : public ::testing::Test {
 protected:
  void write_pth(const fs::path& path) {
    ss::test::PickleWriter p;
    p.proto().ordered_dict().mark().str("w").float_tensor("0", {2}).op('u').stop();
    ss::test::write_torch_zip(path, p.bytes(), {{"0", ss::test::float_bytes({3, 4})}});
  }
  void write_st(const fs::path& path, const std::string& name) {
    ss::io::write_safetensors(path.string(),
                              {make_tensor(name, DType::F32, {1}, std::vector<float>{5})});
  }
  fs::path dir_ = ss::test::scratch_dir();
};

TEST_F(Checkpoint, DispatchesOnContentNotName) {
  write_pth(dir_ / "model.safetensors");  // misnamed torch.save archive
  write_st(dir_ / "weights.bin", "s");    // misnamed safetensors file
  const auto pth = read_checkpoint(dir_ / "model.safetensors");
  ASSERT_EQ(pth.size(), 1u);
  EXPECT_EQ(values_of<float>(pth[0]), (std::vector<float>{3, 4}));
  EXPECT_EQ(names_of(read_checkpoint(dir_ / "weights.bin")), std::vector<std::string>{"s"});
}

TEST_F(Checkpoint, PicksTheFirstKnownFileInAFolder) {
  write_pth(dir_ / "open_clip_pytorch_model.bin");
  EXPECT_EQ(names_of(read_checkpoint(dir_)), std::vector<std::string>{"w"});
  write_st(dir_ / "open_clip_model.safetensors", "oc");
  EXPECT_EQ(names_of(read_checkpoint(dir_)), std::vector<std::string>{"oc"});
  write_pth(dir_ / "pytorch_model.bin");
  EXPECT_EQ(names_of(read_checkpoint(dir_)), std::vector<std::string>{"oc"});
  write_st(dir_ / "model.safetensors", "m");
  EXPECT_EQ(names_of(read_checkpoint(dir_)), std::vector<std::string>{"m"});
}

TEST_F(Checkpoint, ExplainsWhatIsMissingOrUnsupported) {
  EXPECT_SS_ERROR(read_checkpoint(dir_), dir_.string(),
                  "no checkpoint in this folder; looked for model.safetensors.index.json, "
                  "model.safetensors, open_clip_model.safetensors, pytorch_model.bin, "
                  "open_clip_pytorch_model.bin");
  const fs::path missing = dir_ / "missing.pth";
  EXPECT_SS_ERROR(read_checkpoint(missing), missing.string(), "cannot open");
  const fs::path legacy = dir_ / "old.pth";
  ss::test::write_file(
      legacy, std::string("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.", 15));
  EXPECT_SS_ERROR(read_checkpoint(legacy), legacy.string(), "legacy (pre-1.6) torch.save format");
  const fs::path junk = dir_ / "junk.bin";
  ss::test::write_file(junk, "hello");
  EXPECT_SS_ERROR(read_checkpoint(junk), junk.string(), "8-byte header length");
}

TEST(CheckpointFixture, ReadsBothFormatsOfTheFixtureAlike) {
  SS_REQUIRE_ASSET("fixtures/dinov2_vit_noreg_224/original/model.pth");
  const auto dir = ss::test::asset("fixtures/dinov2_vit_noreg_224/original");
  const auto pth = read_checkpoint(dir / "model.pth");
  const auto st = read_checkpoint(dir / "model.safetensors");
  ASSERT_EQ(pth.size(), st.size());
  EXPECT_EQ(read_checkpoint(dir).size(), st.size());  // the folder holds model.safetensors
}

}  // namespace
