// Process-wide compute settings: threads and what the CPU offers.
#pragma once

#include <string>

namespace ss::nn {

// Sets libtorch's intra-op threads: n <= 0 means all cores. Torch's own default can be 1 on these
// builds, so every command calls this once before working.
void set_threads(int n);
int num_threads();

// Keeps freed tensor memory in the heap for reuse. With glibc's defaults every large activation is a
// fresh mmap (or a heap trimmed back after free), so each forward pays page faults to zero new pages:
// measured 15-20% of a DINOv2-S forward (docs/benchmarks.md). Call once at start-up.
void tune_allocator();

// "AMD EPYC ... (avx2)" - the model name and the vector ISA that matters for bf16 speed.
std::string cpu_description();
// True when the CPU has native bf16 matrix instructions (AVX512-BF16 or AMX), i.e. oneDNN's bf16
// path is expected to beat float32.
bool cpu_has_fast_bf16();

}  // namespace ss::nn
