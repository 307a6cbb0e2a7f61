// What a long job is doing, on a terminal: nothing for the first second (most
// images finish sooner), then one line on stderr, redrawn in place, saying the
// stage and the Lloyd pass, and cleared when the job ends. Notices (a GPU that
// handed the image to the CPU) get lines of their own.
#pragma once
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "kmq/observer.hpp"

namespace kmq::cli {

class progress_line : public observer {
 public:
  // show: draw the line at all (stderr is a terminal, not --quiet or --json);
  // quiet: no notices either.
  progress_line(std::string input, int restarts, bool show, bool quiet);
  ~progress_line() override;
  progress_line(const progress_line&) = delete;
  progress_line& operator=(const progress_line&) = delete;

  bool on_stage(job_stage stage) override;
  bool on_iteration(const iteration_stats& pass) override;
  void on_notice(const std::string& text) override;

 private:
  std::string text_locked() const;  // the line as drawn now
  void run_ticker();
  void clear_locked();

  const std::string input_;
  const int restarts_;
  const bool quiet_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  job_stage stage_ = job_stage::decode;
  int pass_ = -1, restart_ = 0;
  bool drawn_ = false, stopping_ = false;
  std::thread ticker_;
};

}  // namespace kmq::cli
