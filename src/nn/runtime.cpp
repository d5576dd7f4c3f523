#include "nn/runtime.h"

#include <ATen/Parallel.h>

#include <malloc.h>

#include <fstream>
#include <set>
#include <sstream>
#include <thread>

namespace ss::nn {

void set_threads(int n) {
  if (n <= 0) n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(n);
}

int num_threads() { return at::get_num_threads(); }

void tune_allocator() {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's maximum; tensors below it come from the heap
  mallopt(M_TRIM_THRESHOLD, 1 << 30);   // do not give freed heap back between forwards
  mallopt(M_TOP_PAD, 64 << 20);         // grow the heap in large steps
}

namespace {
struct CpuInfo {
  std::string model;
  std::set<std::string> flags;
};

CpuInfo read_cpuinfo() {
  CpuInfo info;
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon);
    key.erase(key.find_last_not_of(" \t") + 1);
    const std::string value = colon + 2 <= line.size() ? line.substr(colon + 2) : "";
    if (key == "model name" && info.model.empty()) info.model = value;
    if (key == "flags" && info.flags.empty()) {
      std::istringstream fs(value);
      for (std::string f; fs >> f;) info.flags.insert(f);
    }
  }
  return info;
}
}  // namespace

bool cpu_has_fast_bf16() {
  const auto info = read_cpuinfo();
  return info.flags.count("amx_bf16") || info.flags.count("avx512_bf16");
}

std::string cpu_description() {
  const auto info = read_cpuinfo();
  std::string isa = "generic";
  for (const char* f : {"avx2", "avx512f", "avx512_bf16", "amx_bf16"})
    if (info.flags.count(f)) isa = f;
  return (info.model.empty() ? std::string("unknown CPU") : info.model) + " (" + isa + ")";
}

}  // namespace ss::nn
