// Exit codes (sysexits.h) and the failure type that carries one to main().
#pragma once
#include <stdexcept>
#include <string>

namespace kmq::cli {

enum exit_code : int {
  exit_ok = 0,
  exit_usage = 64,          // EX_USAGE: bad option or argument
  exit_data = 65,           // EX_DATAERR: input is not a decodable image, or too large
  exit_no_input = 66,       // EX_NOINPUT: input missing or unreadable
  exit_unavailable = 69,    // EX_UNAVAILABLE: requested backend not available
  exit_internal = 70,       // EX_SOFTWARE: a bug, or a failed CUDA call
  exit_cant_create = 73,    // EX_CANTCREAT: output cannot be written, or exists without --force
};

// A failure that names the file it concerns and why: printed as
// "kmq: <path>: <reason>" and ends the run with code.
class failure : public std::runtime_error {
 public:
  failure(exit_code code, std::string path, const std::string& reason)
      : std::runtime_error(reason), code_(code), path_(std::move(path)) {}
  exit_code code() const noexcept { return code_; }
  const std::string& path() const noexcept { return path_; }
  std::string message() const;  // "<path>: <reason>", or the reason alone when there is no path

 private:
  exit_code code_;
  std::string path_;
};

}  // namespace kmq::cli
