// Process-wide compute settings: threads and what the CPU offers.
#pragma once

#include <string>

namespace ss::nn {

// Sets libtorch's intra-op threads: n <= 0 means all cores. Torch's own default can be 1 on these
// builds, so every command calls this once before working.
void set_threads(int n);
int num_threads();

// "AMD EPYC ... (avx2)" - the model name and the vector ISA that matters for bf16 speed.
std::string cpu_description();
// True when the CPU has native bf16 matrix instructions (AVX512-BF16 or AMX), i.e. oneDNN's bf16
// path is expected to beat float32.
bool cpu_has_fast_bf16();

}  // namespace ss::nn
