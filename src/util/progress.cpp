#include "util/progress.h"

#include <unistd.h>

#include <cstdio>

namespace ss {

Progress::Progress(std::string label, int64_t total, std::string unit, int64_t done)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      done_(done),
      base_(done),
      enabled_(isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() { finish(); }

void Progress::advance(int64_t n) {
  done_ += n;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ > std::chrono::milliseconds(100) || done_ >= total_) {
    last_draw_ = now;
    draw(false);
  }
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  draw(true);
}

void Progress::draw(bool final) {
  if (!enabled_) return;
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = secs > 0 ? static_cast<double>(done_ - base_) / secs : 0.0;
  const double eta = rate > 0 && total_ > done_ ? static_cast<double>(total_ - done_) / rate : 0.0;
  constexpr int kWidth = 30;
  const int filled = total_ > 0 ? static_cast<int>(kWidth * std::min<int64_t>(done_, total_) / total_) : kWidth;
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(kWidth, '.');
  std::fprintf(stderr, "\r%s [%s] %lld/%lld %.1f %s/s ETA %.0fs %s ", label_.c_str(), bar.c_str(),
               static_cast<long long>(done_), static_cast<long long>(total_), rate, unit_.c_str(), eta,
               status_.c_str());
  if (final) std::fputc('\n', stderr);
  std::fflush(stderr);
}

}  // namespace ss
