#include "util/interrupt.h"

#include <csignal>

namespace ss {

namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void on_signal(int sig) {
  g_interrupted.store(true);
  std::signal(sig, SIG_DFL);  // a second Ctrl-C kills the process
}

}  // namespace

const std::atomic<bool>& interrupt_flag() {
  static const bool installed = [] {
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    return true;
  }();
  (void)installed;
  return g_interrupted;
}

}  // namespace ss
