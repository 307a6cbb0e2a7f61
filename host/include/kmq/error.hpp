// The one error vocabulary below the front-ends: every layer (clustering,
// backends, image I/O, the pipeline) throws kmq::error with a kind and, where
// a file is concerned, its path. Only a front-end's main maps a kind to an
// exit code (cli/exit_codes.hpp); nothing below it knows exit codes.
#pragma once
#include <stdexcept>
#include <string>

namespace kmq {

enum class error_kind {
  invalid_argument,     // the caller asked for something impossible (a usage mistake)
  input_unreadable,     // the input is missing, a directory, or cannot be read
  bad_input,            // not an image, empty, truncated, corrupt, or over a size limit
  output_failed,        // the output exists (without force), cannot be created, or the write failed
  backend_unavailable,  // CUDA not compiled in, or no device answers
  out_of_memory,        // host or device allocation failed
  cancelled,            // an observer asked the job to stop
  quality_not_met,      // no palette of at most 256 colours reaches the quality asked (--quality MIN)
  internal,             // a bug or a failed CUDA call
};

class error : public std::runtime_error {
 public:
  error(error_kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  error(error_kind kind, std::string path, const std::string& message)
      : std::runtime_error(message), kind_(kind), path_(std::move(path)) {}

  error_kind kind() const noexcept { return kind_; }
  // The file concerned; empty when none is (an option, the backend).
  const std::string& path() const noexcept { return path_; }
  // "<path>: <reason>", or the reason alone.
  std::string describe() const { return path_.empty() ? std::string(what()) : path_ + ": " + what(); }

 private:
  error_kind kind_;
  std::string path_;
};

}  // namespace kmq
