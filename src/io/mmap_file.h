// A whole file mapped read-only into memory. Readers hand out pointers into the mapping (zero copy)
// and keep it alive by sharing ownership of the MmapFile with the tensors that point into it.
// The mapping is private and read-only; as with any mmap, truncating the file while it is mapped
// makes later reads fault, so checkpoints must not be rewritten in place while loaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

namespace ss::io {

class MmapFile {
 public:
  // Maps `path`; throws ss::Error "<path>: ..." when it is missing, unreadable, not a regular file
  // (a directory, a FIFO, a device) or cannot be mapped. An empty file maps to size() == 0.
  static std::shared_ptr<const MmapFile> open(const std::string& path);

  ~MmapFile();
  MmapFile(const MmapFile&) = delete;
  MmapFile& operator=(const MmapFile&) = delete;

  const uint8_t* data() const { return data_; }  // nullptr when size() == 0
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  MmapFile(std::string path, const uint8_t* data, size_t size)
      : path_(std::move(path)), data_(data), size_(size) {}

  std::string path_;
  const uint8_t* data_;
  size_t size_;
};

// The whole file as bytes (text and id inputs: --text, --file, --ids), with open()'s refusals, so a
// directory or a FIFO is named as such instead of reading as an empty text.
std::string read_file_bytes(const std::string& path);

}  // namespace ss::io
