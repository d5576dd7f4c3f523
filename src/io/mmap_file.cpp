#include "io/mmap_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/error.h"

namespace ss::io {

namespace {

// Closes the descriptor on every path out of open(): the mapping does not need it.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw Error(path + ": " + what);
}

}  // namespace

std::shared_ptr<const MmapFile> MmapFile::open(const std::string& path) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise block until a writer appears.
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)};
  if (f.fd < 0) fail(path, std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) fail(path, std::string("cannot stat: ") + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) fail(path, "is a directory, expected a file");
  if (!S_ISREG(st.st_mode)) fail(path, "is not a regular file");
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size > SIZE_MAX) fail(path, "is too large to map into memory");
  if (size == 0)  // mmap rejects a zero length; an empty file is simply no bytes.
    return std::shared_ptr<const MmapFile>(new MmapFile(path, nullptr, 0));
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, f.fd, 0);
  if (p == MAP_FAILED) fail(path, std::string("cannot map into memory: ") + std::strerror(errno));
  return std::shared_ptr<const MmapFile>(
      new MmapFile(path, static_cast<const uint8_t*>(p), static_cast<size_t>(size)));
}

MmapFile::~MmapFile() {
  if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
}

std::string read_file_bytes(const std::string& path) {
  const auto file = MmapFile::open(path);
  if (file->size() == 0) return {};  // data() is nullptr then
  return std::string(reinterpret_cast<const char*>(file->data()), file->size());
}

}  // namespace ss::io
