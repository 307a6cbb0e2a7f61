#include "batch_progress.hpp"
#include "terminal_text.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <mutex>

#include "kmq/error.hpp"

namespace kmq::cli {
namespace {

std::string format_bytes(double bytes) {
  char text[32];
  if (bytes >= 1e9) std::snprintf(text, sizeof text, "%.2f GB", bytes / 1e9);
  else if (bytes >= 1e6) std::snprintf(text, sizeof text, "%.1f MB", bytes / 1e6);
  else if (bytes >= 1e3) std::snprintf(text, sizeof text, "%.1f kB", bytes / 1e3);
  else std::snprintf(text, sizeof text, "%.0f B", bytes);
  return text;
}

std::string format_duration(double seconds) {
  const long s = static_cast<long>(seconds + 0.5);
  char text[32];
  if (s >= 3600) std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else std::snprintf(text, sizeof text, "%ld:%02ld", s / 60, s % 60);
  return text;
}

std::size_t terminal_width() {
  winsize size{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col >= 20) return size.ws_col;
  return 80;
}

}  // namespace

progress_mode parse_progress_mode(const std::string& text, bool stderr_is_terminal) {
  if (text == "auto") return stderr_is_terminal ? progress_mode::bar : progress_mode::plain;
  if (text == "bar") return progress_mode::bar;
  if (text == "plain") return progress_mode::plain;
  if (text == "none") return progress_mode::none;
  throw error(error_kind::invalid_argument, "--progress: '" + text + "' is not auto, bar, plain or none");
}

batch_progress::batch_progress(progress_mode mode, int jobs) : mode_(mode), jobs_(jobs) {}

batch_progress::~batch_progress() { finish(); }

double batch_progress::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::string batch_progress::status(const batch_counts& c, std::size_t width) const {
  const double elapsed = seconds();
  const std::uint64_t finished = c.finished();
  const std::uint64_t worked = c.done + c.skipped_larger + c.failed;  // images that cost time
  const double rate = elapsed > 0 ? static_cast<double>(worked) / elapsed : 0.0;
  const double bytes_rate = elapsed > 0 ? static_cast<double>(c.bytes_in) / elapsed : 0.0;
  const std::uint64_t left = c.total > finished ? c.total - finished : 0;
  char tail[256];
  std::snprintf(tail, sizeof tail, " %llu/%llu  %.1f img/s  %s/s  ETA %s%s",
                static_cast<unsigned long long>(finished), static_cast<unsigned long long>(c.total), rate,
                format_bytes(bytes_rate).c_str(), rate > 0 ? format_duration(static_cast<double>(left) / rate).c_str() : "?",
                c.failed ? ("  " + std::to_string(c.failed) + " failed").c_str() : "");
  std::string text = tail;
  if (mode_ == progress_mode::bar && width > text.size() + 12) {
    const std::size_t cells = std::min<std::size_t>(40, width - text.size() - 3);
    const std::size_t full = c.total ? static_cast<std::size_t>(cells * finished / c.total) : cells;
    text = "[" + std::string(full, '#') + std::string(cells - full, '.') + "]" + text;
  } else if (mode_ == progress_mode::plain) {
    text = "kmq batch:" + text;
  }
  if (text.size() >= width && mode_ == progress_mode::bar) text.resize(width - 1);
  (void)jobs_;
  return text;
}

void batch_progress::clear() {
  if (drawn_) std::cerr << "\r\033[K" << std::flush;
  drawn_ = false;
}

void batch_progress::update(const batch_counts& counts, bool force) {
  const std::lock_guard<std::mutex> lock(mutex_);
  draw(counts, force);
}

void batch_progress::draw(const batch_counts& counts, bool force) {
  if (mode_ == progress_mode::none) return;
  const auto now = std::chrono::steady_clock::now();
  const auto interval = mode_ == progress_mode::bar ? std::chrono::milliseconds(100) : std::chrono::milliseconds(2000);
  // The bar appears at once (then at most every 100 ms); plain lines only every 2 s.
  const bool first_bar = mode_ == progress_mode::bar && !drawn_;
  if (!force && !first_bar && now - last_ < interval) return;
  last_ = now;
  if (mode_ == progress_mode::bar) {
    std::cerr << '\r' << status(counts, terminal_width()) << "\033[K" << std::flush;
    drawn_ = true;
  } else {
    std::cerr << status(counts, 1000) << '\n' << std::flush;
  }
}

void batch_progress::message(const std::string& line, const batch_counts& counts) {
  const std::lock_guard<std::mutex> lock(mutex_);
  const bool redraw = drawn_;
  clear();
  std::cerr << terminal_text(line) << '\n' << std::flush;
  if (redraw) draw(counts, true);
}

void batch_progress::finish() {
  const std::lock_guard<std::mutex> lock(mutex_);
  if (mode_ == progress_mode::bar) clear();
}

std::string summary_text(const batch_counts& c, double seconds, const std::string& left_out) {
  // The rate is of images compressed (a failure costs time but is no image
  // made); a run where none was says no rate.
  char rate[64] = "";
  const std::uint64_t compressed = c.done + c.skipped_larger;
  if (compressed > 0 && seconds > 0) std::snprintf(rate, sizeof rate, " (%.1f images/s)", compressed / seconds);
  char head[256];
  std::snprintf(head, sizeof head, "kmq batch: %llu inputs in %.2f s%s: %llu written, %llu skipped, "
                "%llu skipped (larger), %llu failed",
                static_cast<unsigned long long>(c.total), seconds, rate,
                static_cast<unsigned long long>(c.done), static_cast<unsigned long long>(c.skipped),
                static_cast<unsigned long long>(c.skipped_larger), static_cast<unsigned long long>(c.failed));
  std::string text = head;
  if (c.cancelled) text += ", " + std::to_string(c.cancelled) + " not done (interrupted)";
  char bytes[200];
  const double ratio =
      c.bytes_in_written ? 100.0 * static_cast<double>(c.bytes_out) / static_cast<double>(c.bytes_in_written) : 0.0;
  if (c.bytes_in == c.bytes_in_written) {
    std::snprintf(bytes, sizeof bytes, "; %s in, %s out (%.1f%% of their inputs)",
                  format_bytes(static_cast<double>(c.bytes_in)).c_str(), format_bytes(static_cast<double>(c.bytes_out)).c_str(),
                  ratio);
  } else {
    // Inputs skipped as larger were read but not written: the ratio is of those written.
    std::snprintf(bytes, sizeof bytes, "; %s in, %s out (%.1f%% of the %s of inputs written)",
                  format_bytes(static_cast<double>(c.bytes_in)).c_str(), format_bytes(static_cast<double>(c.bytes_out)).c_str(),
                  ratio, format_bytes(static_cast<double>(c.bytes_in_written)).c_str());
  }
  text += bytes;
  if (!left_out.empty()) text += "\nkmq batch: left out: " + left_out;
  return text;
}

}  // namespace kmq::cli
