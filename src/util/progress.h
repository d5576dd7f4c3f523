// A progress bar with rate and ETA on a terminal; silent when stderr is not a terminal (pipes, CI).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace ss {

class Progress {
 public:
  Progress(std::string label, int64_t total, std::string unit = "it");
  ~Progress();
  void advance(int64_t n = 1);
  void finish();

 private:
  void draw(bool final);
  std::string label_, unit_;
  int64_t total_, done_ = 0;
  bool enabled_, finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace ss
