// Writes that never leave half a file behind: the bytes go to "<path>.tmp", which is renamed over
// `path` only once complete (rename is atomic within a file system).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace ss::io {

// Throws ss::Error "<path>.tmp: cannot write (<reason>)" and removes the temporary on failure.
void write_file_atomic(const std::string& path, const std::string& bytes);

// The same for a file built piece by piece (a streamed result, written at known offsets and
// perhaps cut short): "<path>.tmp" is created empty, written in place, and renamed over `path` by
// commit(). Destroyed uncommitted (an error, an exception) it removes the temporary, so `path`
// only ever holds a complete file. Errors are ss::Error "<path>.tmp: cannot write (<reason>)".
class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_; }
  // Writing past the end extends the file (a gap reads as zeros until written).
  void write_at(uint64_t offset, const void* data, size_t n);
  void append(const void* data, size_t n) { write_at(size_, data, n); }
  void read_at(uint64_t offset, void* data, size_t n) const;
  // Cuts (or zero-extends) the file to `size` bytes.
  void truncate(uint64_t size);
  uint64_t size() const { return size_; }
  // Closes the temporary and renames it over `path`; after this the object is inert.
  void commit();

 private:
  [[noreturn]] void fail(const std::string& file, const char* what) const;
  std::string path_, temp_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

}  // namespace ss::io
