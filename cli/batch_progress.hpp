// kmq batch's progress on stderr: a bar redrawn in place on a terminal
// (done/total, images/s, MB/s, ETA, failures so far), a plain line every few
// seconds otherwise, or nothing; and the summary at the end.
#pragma once
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace kmq::cli {

enum class progress_mode { bar, plain, none };

// "auto" (bar on a terminal, else plain), "bar", "plain", "none".
progress_mode parse_progress_mode(const std::string& text, bool stderr_is_terminal);

struct batch_counts {
  std::uint64_t total = 0;           // inputs of this run (this shard)
  std::uint64_t done = 0;            // written
  std::uint64_t skipped = 0;         // --skip-existing
  std::uint64_t skipped_larger = 0;  // --skip-if-larger
  std::uint64_t failed = 0;
  std::uint64_t cancelled = 0;       // dropped in flight or never started after a stop
  std::uint64_t bytes_in = 0;        // inputs read (written and skipped-larger ones)
  std::uint64_t bytes_out = 0;       // outputs written
  std::uint64_t bytes_in_written = 0;  // inputs of the written outputs, for the ratio
  std::uint64_t finished() const { return done + skipped + skipped_larger + failed; }
};

class batch_progress {
 public:
  batch_progress(progress_mode mode, int jobs);
  ~batch_progress();
  // Redraws when due (bar: 10 per second; plain: every 2 s).
  void update(const batch_counts& counts, bool force = false);
  // A line of its own (a failure), the bar cleared first and drawn again after.
  void message(const std::string& line, const batch_counts& counts);
  // Clears the bar for good.
  void finish();
  double seconds() const;

 private:
  std::string status(const batch_counts& counts, std::size_t width) const;
  void clear();                                     // these two with mutex_ held
  void draw(const batch_counts& counts, bool force);

  std::mutex mutex_;  // the workers' failure lines and redraws, one at a time

  progress_mode mode_;
  int jobs_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_ = start_;
  bool drawn_ = false;
};

// "kmq batch: 200 images in 8.2 s (24.4/s): 195 written, 2 skipped, 1 skipped (larger), 2 failed; 12.3 MB in, 4.1 MB out (33.3%)"
// plus what was left out of the walk, when anything was.
std::string summary_text(const batch_counts& counts, double seconds, const std::string& left_out);

}  // namespace kmq::cli
