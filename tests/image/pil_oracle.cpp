// Implementation of the Pillow oracle helpers (see pil_oracle.h).
#include "pil_oracle.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace ss::test {

namespace fs = std::filesystem;

bool pil_available() {
  static const bool ok = std::system("/usr/bin/python3 -c 'import PIL, numpy' >/dev/null 2>&1") == 0;
  return ok;
}

const char* const kPythonPreamble = R"PY(
import json, os, struct, sys, zlib
import numpy as np
from PIL import Image, ImageOps

def save(name, arr):
    np.save(name, np.ascontiguousarray(arr))
)PY";

std::string run_python(const fs::path& dir, const std::string& name, const std::string& body) {
  const fs::path script = dir / (name + ".py");
  {
    std::ofstream f(script);
    f << kPythonPreamble << body;
  }
  // Scratch paths contain no single quote, so single-quoting is enough for the shell.
  const std::string cmd = "cd '" + dir.string() + "' && /usr/bin/python3 '" + script.string() + "' 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("cannot run " + cmd);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = pclose(p);
  if (status != 0) throw std::runtime_error("oracle script " + script.string() + " failed:\n" + out);
  return out;
}

size_t Npy::numel() const {
  size_t n = 1;
  for (size_t d : shape) n *= d;
  return n;
}

Npy load_npy(const fs::path& path) {
  const std::vector<uint8_t> raw = read_bytes(path);
  if (raw.size() < 10 || std::string(raw.begin(), raw.begin() + 6) != "\x93NUMPY")
    throw std::runtime_error(path.string() + ": not a .npy file");
  const int major = raw[6];
  const size_t header_len =
      major == 1 ? (raw[8] | raw[9] << 8) : (raw[8] | raw[9] << 8 | raw[10] << 16 | raw[11] << 24);
  const size_t header_at = major == 1 ? 10 : 12;
  const std::string header(raw.begin() + header_at, raw.begin() + header_at + header_len);

  Npy a;
  const size_t d = header.find("'descr': '") + 10;
  a.dtype = header.substr(d, header.find('\'', d) - d);
  if (header.find("'fortran_order': False") == std::string::npos)
    throw std::runtime_error(path.string() + ": Fortran-order arrays are not supported");
  const size_t s = header.find("'shape': (") + 10;
  std::stringstream dims(header.substr(s, header.find(')', s) - s));
  for (std::string tok; std::getline(dims, tok, ',');)
    if (tok.find_first_not_of(' ') != std::string::npos) a.shape.push_back(std::stoul(tok));
  const size_t item = a.dtype == "|u1" ? 1 : a.dtype == "<f4" ? 4 : 0;
  if (item == 0) throw std::runtime_error(path.string() + ": unsupported dtype " + a.dtype);
  a.bytes.assign(raw.begin() + header_at + header_len, raw.end());
  if (a.bytes.size() != a.numel() * item)
    throw std::runtime_error(path.string() + ": size does not match shape");
  return a;
}

ss::image::Image npy_image(const Npy& a) {
  if (a.dtype != "|u1" || a.shape.size() != 3 || a.shape[2] != 3)
    throw std::runtime_error("npy_image: expected a [H, W, 3] uint8 array");
  return {static_cast<int>(a.shape[1]), static_cast<int>(a.shape[0]), a.bytes};
}

std::vector<float> npy_floats(const Npy& a) {
  if (a.dtype != "<f4") throw std::runtime_error("npy_floats: expected float32, got " + a.dtype);
  std::vector<float> v(a.numel());
  std::memcpy(v.data(), a.bytes.data(), a.bytes.size());
  return v;
}

::testing::AssertionResult same_pixels(const ss::image::Image& got, const ss::image::Image& want) {
  if (got.width != want.width || got.height != want.height || got.rgb.size() != want.rgb.size())
    return ::testing::AssertionFailure()
           << "size " << got.width << "x" << got.height << " (" << got.rgb.size() << " bytes), expected "
           << want.width << "x" << want.height << " (" << want.rgb.size() << " bytes)";
  size_t differing = 0, first = 0;
  int max_diff = 0;
  for (size_t i = 0; i < got.rgb.size(); ++i) {
    const int diff = std::abs(int(got.rgb[i]) - int(want.rgb[i]));
    if (diff && !differing++) first = i;
    max_diff = std::max(max_diff, diff);
  }
  if (!differing) return ::testing::AssertionSuccess();
  const size_t px = first / 3;
  return ::testing::AssertionFailure()
         << differing << " of " << got.rgb.size() << " bytes differ, max |diff| " << max_diff
         << "; first at x=" << px % got.width << " y=" << px / got.width << " channel " << first % 3 << ": "
         << int(got.rgb[first]) << " vs " << int(want.rgb[first]);
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return std::numeric_limits<double>::infinity();
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(double(a[i]) - double(b[i])));
  return m;
}

std::vector<uint8_t> read_bytes(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot read " + path.string());
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& path, const std::vector<uint8_t>& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!f) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace ss::test
