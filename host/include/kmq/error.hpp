// The library reports failures as exceptions that carry a category; the CLI maps
// each category to a sysexits code.
#pragma once
#include <stdexcept>
#include <string>

namespace kmq {

enum class error_kind {
  invalid_argument,     // caller asked for something impossible (usage)
  backend_unavailable,  // CUDA not compiled in, or no device answers
  out_of_memory,        // host or device allocation failed
  internal,             // a bug or a failed CUDA call
};

class error : public std::runtime_error {
 public:
  error(error_kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  error_kind kind() const noexcept { return kind_; }

 private:
  error_kind kind_;
};

}  // namespace kmq
