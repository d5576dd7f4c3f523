// Read-only access to the entries of a zip archive held in a memory map (libzip underneath). Entry
// sizes come from the archive, so they are checked against the bytes actually present before any
// buffer is allocated.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/mmap_file.h"

struct zip;

namespace ss::io {

class ZipArchive {
 public:
  // Throws ss::Error "<path>: ..." when the bytes are not a consistent zip archive.
  explicit ZipArchive(std::shared_ptr<const MmapFile> file);
  ~ZipArchive();
  ZipArchive(const ZipArchive&) = delete;
  ZipArchive& operator=(const ZipArchive&) = delete;

  const std::string& path() const { return file_->path(); }
  // Name of the first entry; throws when the archive is empty.
  std::string first_name() const;
  // Uncompressed size of `name`, nullopt when there is no such entry.
  std::optional<uint64_t> entry_size(const std::string& name) const;
  // The whole uncompressed entry. Throws when it is missing, uses a compression other than
  // stored/deflate, claims more bytes than its compressed data can hold, or fails its CRC.
  std::vector<uint8_t> read(const std::string& name) const;

 private:
  std::shared_ptr<const MmapFile> file_;  // the zip source reads straight from the mapping
  struct zip* zip_ = nullptr;
};

}  // namespace ss::io
