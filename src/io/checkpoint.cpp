#include "io/checkpoint.h"

#include "io/mmap_file.h"
#include "io/pth.h"
#include "io/safetensors.h"
#include "io/sharded.h"
#include "util/error.h"

namespace ss::io {

namespace {

namespace fs = std::filesystem;

// What a model folder (Hugging Face or open_clip layout) may hold, most preferred first.
constexpr const char* kFolderCandidates[] = {
    "model.safetensors.index.json", "model.safetensors",
    "open_clip_model.safetensors",  "pytorch_model.bin",
    "open_clip_pytorch_model.bin",
};

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::vector<RawTensor> read_file(const std::string& path) {
  if (ends_with(path, ".index.json")) return read_safetensors_index(path);
  // Mapping only touches the pages read, so peeking at the magic bytes this way is cheap.
  const std::shared_ptr<const MmapFile> file = MmapFile::open(path);
  if (is_torch_save(file->data(), file->size())) return read_pth(path);
  return SafetensorsFile::open(path).tensors();
}

}  // namespace

std::vector<RawTensor> read_checkpoint(const fs::path& p) {
  std::error_code ec;
  if (!fs::is_directory(p, ec)) return read_file(p.string());
  std::string looked_for;
  for (const char* name : kFolderCandidates) {
    if (fs::exists(p / name, ec)) return read_file((p / name).string());
    looked_for += (looked_for.empty() ? "" : ", ") + std::string(name);
  }
  throw Error(p.string() + ": no checkpoint in this folder; looked for " + looked_for);
}

}  // namespace ss::io
