// Helpers shared by the io tests: tensors from literal values, raw files, and an assertion that a
// call fails with a one-line ss::Error naming the file and saying what was wrong.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "io/raw_tensor.h"
#include "util/error.h"

namespace ss::test {

// A tensor owning a copy of `bytes`.
inline io::RawTensor make_tensor(const std::string& name, io::DType dtype,
                                 std::vector<int64_t> shape, const void* bytes, size_t nbytes) {
  auto buf = std::make_shared<std::vector<uint8_t>>(nbytes);
  if (nbytes) std::memcpy(buf->data(), bytes, nbytes);
  io::RawTensor t;
  t.name = name;
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.data = buf->data();
  t.nbytes = nbytes;
  t.owner = buf;
  return t;
}

template <typename T>
io::RawTensor make_tensor(const std::string& name, io::DType dtype, std::vector<int64_t> shape,
                          const std::vector<T>& values) {
  return make_tensor(name, dtype, std::move(shape), values.data(), values.size() * sizeof(T));
}

template <typename T>
std::vector<T> values_of(const io::RawTensor& t) {
  std::vector<T> v(t.nbytes / sizeof(T));
  if (t.nbytes) std::memcpy(v.data(), t.data, t.nbytes);
  return v;
}

inline std::vector<uint8_t> bytes_of(const io::RawTensor& t) {
  return std::vector<uint8_t>(t.data, t.data + t.nbytes);
}

inline void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

template <typename F>
void expect_error(F&& f, const std::string& path, const std::string& phrase) {
  try {
    f();
    ADD_FAILURE() << "no error thrown; expected one containing: " << phrase;
  } catch (const ss::Error& e) {
    const std::string m = e.what();
    EXPECT_EQ(m.rfind(path + ": ", 0), 0u) << "message does not start with the path: " << m;
    EXPECT_NE(m.find(phrase), std::string::npos) << "message lacks '" << phrase << "': " << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << "message is not one line: " << m;
  }
}

}  // namespace ss::test

// Asserts that `stmt` throws ss::Error "<path>: ...<phrase>..." on one line.
#define EXPECT_SS_ERROR(stmt, path, phrase)                    \
  do {                                                         \
    SCOPED_TRACE(phrase);                                      \
    ::ss::test::expect_error([&] { stmt; }, (path), (phrase)); \
  } while (0)
