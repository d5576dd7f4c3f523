// The test oracle: Debian's Pillow 9.4 + numpy under /usr/bin/python3 (python3-pil, python3-numpy).
// Tests write a Python script into their scratch directory, run it, and compare against the .npy
// files it saves. /usr/bin/python3 is called explicitly: the python3 first on PATH may be another
// interpreter without Pillow. Tests needing the oracle skip (with the reason) when it is missing.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "image/image.h"

namespace ss::test {

// True when /usr/bin/python3 imports PIL and numpy; checked once per process.
bool pil_available();

// Helpers every oracle script starts with: numpy as np, PIL's Image/ImageOps, and
// save(name, array) = np.save into the script's directory.
extern const char* const kPythonPreamble;

// Writes kPythonPreamble + `body` to dir/<name>.py and runs it with dir as the working directory.
// Returns its stdout+stderr; throws std::runtime_error (with that output) when it exits non-zero.
std::string run_python(const std::filesystem::path& dir, const std::string& name, const std::string& body);

// A C-order .npy array as numpy.save writes it (dtypes |u1 and <f4 only).
struct Npy {
  std::string dtype;  // "|u1" or "<f4"
  std::vector<size_t> shape;
  std::vector<uint8_t> bytes;
  size_t numel() const;
};
Npy load_npy(const std::filesystem::path& path);
ss::image::Image npy_image(const Npy& a);     // [H, W, 3] uint8 -> Image
std::vector<float> npy_floats(const Npy& a);  // any shape, <f4

// Passes when both images have the same size and bytes; otherwise says how many bytes differ,
// the largest difference and where the first one is.
::testing::AssertionResult same_pixels(const ss::image::Image& got, const ss::image::Image& want);

// Largest |a[i] - b[i]| (infinity when the sizes differ).
double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b);

// Reads a whole file; writes a whole file.
std::vector<uint8_t> read_bytes(const std::filesystem::path& path);
void write_bytes(const std::filesystem::path& path, const std::vector<uint8_t>& bytes);

}  // namespace ss::test

#define SS_REQUIRE_PIL()                                                              \
  do {                                                                                \
    if (!::ss::test::pil_available())                                                 \
      GTEST_SKIP() << "oracle missing: /usr/bin/python3 cannot import PIL and numpy " \
                      "(install python3-pil python3-numpy)";                          \
  } while (0)
