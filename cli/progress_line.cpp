#include "progress_line.hpp"
#include "terminal_text.hpp"

#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace kmq::cli {

namespace {
constexpr auto redraw_every = std::chrono::milliseconds(200);

// One second, or what the test-only KMQ_TEST_PROGRESS_AFTER_MS says: how long a
// fast machine takes must not decide whether the line's test sees a line.
std::chrono::milliseconds quiet_period() {
  if (const char* ms = std::getenv("KMQ_TEST_PROGRESS_AFTER_MS")) return std::chrono::milliseconds(std::atoi(ms));
  return std::chrono::seconds(1);
}
}  // namespace

progress_line::progress_line(std::string input, int restarts, bool show, bool quiet)
    : input_(terminal_text(input)), restarts_(restarts), quiet_(quiet) {
  if (show) ticker_ = std::thread([this] { run_ticker(); });
}

progress_line::~progress_line() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    clear_locked();
  }
  wake_.notify_all();
  if (ticker_.joinable()) ticker_.join();
}

bool progress_line::on_stage(job_stage stage) {
  const std::lock_guard<std::mutex> lock(mutex_);
  stage_ = stage;
  return true;
}

bool progress_line::on_iteration(const iteration_stats& pass) {
  const std::lock_guard<std::mutex> lock(mutex_);
  pass_ = pass.pass;
  restart_ = pass.restart;
  return true;
}

void progress_line::on_notice(const std::string& text) {
  if (quiet_) return;
  const std::lock_guard<std::mutex> lock(mutex_);
  clear_locked();
  std::fprintf(stderr, "kmq: %s: %s\n", input_.c_str(), terminal_text(text).c_str());
}

std::string progress_line::text_locked() const {
  std::string line = "kmq: " + input_ + ": " + stage_name(stage_);
  if (stage_ == job_stage::iterate && pass_ >= 0) {
    line += ", pass " + std::to_string(pass_ + 1);
    if (restarts_ > 1) line += " of run " + std::to_string(restart_ + 1) + "/" + std::to_string(restarts_);
  }
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  char elapsed[32];
  std::snprintf(elapsed, sizeof elapsed, " (%.0f s)", seconds);
  return line + elapsed;
}

void progress_line::clear_locked() {
  if (!drawn_) return;
  std::fputs("\r\033[K", stderr);  // carriage return, erase to the end of the line
  std::fflush(stderr);
  drawn_ = false;
}

void progress_line::run_ticker() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (wake_.wait_until(lock, start_ + quiet_period(), [this] { return stopping_; })) return;
  while (!stopping_) {
    std::fprintf(stderr, "\r\033[K%s", text_locked().c_str());
    std::fflush(stderr);
    drawn_ = true;
    wake_.wait_for(lock, redraw_every, [this] { return stopping_; });
  }
}

}  // namespace kmq::cli
