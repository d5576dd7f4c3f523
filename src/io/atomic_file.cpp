#include "io/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "util/error.h"

namespace ss::io {

void write_file_atomic(const std::string& path, const std::string& bytes) {
  AtomicFile f(path);
  f.append(bytes.data(), bytes.size());
  f.commit();
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)), temp_(path_ + ".tmp") {
  fd_ = ::open(temp_.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd_ < 0) fail(temp_, "cannot write");
}

AtomicFile::~AtomicFile() {
  if (fd_ < 0) return;
  ::close(fd_);
  std::remove(temp_.c_str());
}

void AtomicFile::fail(const std::string& file, const char* what) const {
  throw Error(file + ": " + what + " (" + std::strerror(errno) + ")");
}

void AtomicFile::write_at(uint64_t offset, const void* data, size_t n) {
  const auto* p = static_cast<const char*>(data);
  for (size_t done = 0; done < n;) {
    // pwrite may write less than asked (signals, large requests): continue where it stopped.
    const ssize_t w = ::pwrite(fd_, p + done, n - done, static_cast<off_t>(offset + done));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      if (w == 0) errno = ENOSPC;
      fail(temp_, "cannot write");
    }
    done += static_cast<size_t>(w);
  }
  size_ = std::max<uint64_t>(size_, offset + n);
}

void AtomicFile::read_at(uint64_t offset, void* data, size_t n) const {
  auto* p = static_cast<char*>(data);
  for (size_t done = 0; done < n;) {
    const ssize_t r = ::pread(fd_, p + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      if (r == 0) errno = EIO;  // we wrote these bytes: a short read means the file changed under us
      fail(temp_, "cannot read back");
    }
    done += static_cast<size_t>(r);
  }
}

void AtomicFile::truncate(uint64_t size) {
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) fail(temp_, "cannot write");
  size_ = size;
}

void AtomicFile::commit() {
  if (fd_ < 0) throw Error(temp_ + ": already committed");
  const int fd = fd_;
  fd_ = -1;
  // close reports a delayed write error (e.g. on NFS): only a clean close may replace `path`.
  if (::close(fd) != 0) {
    const int err = errno;
    std::remove(temp_.c_str());
    errno = err;
    fail(temp_, "cannot write");
  }
  if (std::rename(temp_.c_str(), path_.c_str()) != 0) {
    const int err = errno;
    std::remove(temp_.c_str());
    errno = err;
    fail(path_, "cannot rename the temporary file into place");
  }
}

}  // namespace ss::io
