// The names of temporary output files that exist at this moment, for the
// SIGINT/SIGTERM handler (install_interrupt_cleanup, output_file.hpp) to
// unlink with nothing but atomics and unlink().
#pragma once
#include <string>

namespace kmq::io::detail {

// The slot's index, or -1 when the path is too long or all slots are in use:
// then a signal cannot remove it (the next write still does).
int register_temporary(const std::string& path);
void unregister_temporary(int index);  // -1: nothing

// Registers path for as long as it lives. When the path is too long or all
// slots are in use, a signal cannot remove it (the next write still does).
class registration {
 public:
  explicit registration(const std::string& path);
  ~registration();
  registration(const registration&) = delete;
  registration& operator=(const registration&) = delete;

 private:
  int index_;
};

}  // namespace kmq::io::detail
