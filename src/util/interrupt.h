// Ctrl-C for long runs: the first SIGINT/SIGTERM sets a flag that loops poll, so they can save
// their results so far and exit 130; a second one exits at once (the default action).
#pragma once

#include <atomic>

namespace ss {

// Installs the handlers (idempotent) and returns the flag they set.
const std::atomic<bool>& interrupt_flag();

}  // namespace ss
