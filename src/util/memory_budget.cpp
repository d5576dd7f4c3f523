#include "util/memory_budget.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "util/error.h"

namespace ss {

namespace {

std::string gib(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", bytes / (1024.0 * 1024.0 * 1024.0));
  return buf;
}

}  // namespace

double available_memory_bytes() {
  if (const char* env = std::getenv("SINKSCOPE_MEMORY_LIMIT_MB")) {
    char* end = nullptr;
    const double mb = std::strtod(env, &end);
    if (end == env || *end != '\0' || !(mb > 0))
      throw UsageError("SINKSCOPE_MEMORY_LIMIT_MB: expected a positive number of MiB, got '" + std::string(env) + "'");
    return mb * 1024.0 * 1024.0;
  }
  std::ifstream in("/proc/meminfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream s(line);
    std::string key;
    double kb = 0;
    if (s >> key >> kb && key == "MemAvailable:") return kb * 1024.0;
  }
  return 0;
}

void require_memory(const std::string& what, double bytes) {
  const double avail = available_memory_bytes();
  if (avail > 0 && bytes > avail)
    throw UsageError(what + " needs about " + gib(bytes) + " GiB, more than the " + gib(avail) + " GiB available");
}

double transformer_forward_bytes(double batch, double tokens, double dim, double hidden, double heads,
                                 bool attention_matrix, double elem) {
  const double acts = batch * tokens * (6 * dim + 2 * hidden) * elem;
  return acts + (attention_matrix ? batch * heads * tokens * tokens * 2 * elem : 0);
}

double kv_cache_bytes(double layers, double kv_dim, double tokens) { return layers * 2 * kv_dim * tokens * 4; }

double lm_train_step_bytes(double batch, double seq_len, double layers, double dim, double ffn, double heads) {
  const double acts = batch * seq_len * layers * (12 * dim + 3 * ffn + 2 * heads * seq_len) * 4;
  const double params = layers * (4 * dim * dim + 3 * dim * ffn);
  return acts + 4 * params * 4;
}

}  // namespace ss
