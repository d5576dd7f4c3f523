// A progress bar with rate and ETA on a terminal; silent when stderr is not a terminal (pipes, CI).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace ss {

class Progress {
 public:
  // `done` > 0 resumes a bar (a resumed training run): the rate counts only this run's work.
  Progress(std::string label, int64_t total, std::string unit = "it", int64_t done = 0);
  ~Progress();
  void advance(int64_t n = 1);
  void finish();
  // Extra text after the ETA (e.g. "loss 2.31"), shown from the next redraw on.
  void set_status(std::string status) { status_ = std::move(status); }

 private:
  void draw(bool final);
  std::string label_, unit_, status_;
  int64_t total_, done_, base_;
  bool enabled_, finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace ss
