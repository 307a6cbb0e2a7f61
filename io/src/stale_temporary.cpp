// Stale temporary output names: see stale_temporary.hpp.
#include "stale_temporary.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <string>
#include <thread>

#include "kmq/error.hpp"
#include "kmq/io/output_file.hpp"

namespace kmq::io::detail {

// A writer holds flock() on its temporary file from before it has a name until
// it is renamed or removed, and the kernel drops the lock when the writer dies
// however it dies: a temporary file that nobody holds was left by a killed
// run. Where the file system has no flock(), one that has had its name for a
// minute is taken as left over (a writer holds the name for microseconds to
// the length of one write).
name_state remove_if_stale(const std::string& temporary) {
  struct stat named {};
  if (::lstat(temporary.c_str(), &named) != 0) return name_state::free;
  if (!S_ISREG(named.st_mode)) return name_state::foreign;
  const int fd = ::open(temporary.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? name_state::free : name_state::foreign;
  struct stat opened {};
  name_state state = name_state::busy;
  if (::fstat(fd, &opened) == 0 && same_file(named, opened)) {
    bool stale = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
    if (!stale && errno != EWOULDBLOCK && errno != EINTR) stale = std::time(nullptr) - opened.st_ctime > 60;
    // A leftover of kmq's carries its mark (set before any byte is written);
    // an unmarked file of that name is the user's, never removed. Where the
    // file system keeps no user attributes, nothing is marked: the name alone
    // decides there.
    if (stale && ::fgetxattr(fd, kmq_origin_attribute, nullptr, 0) < 0 && errno != ENOTSUP) {
      ::close(fd);
      return name_state::foreign;
    }
    // Still the file under that name? Then it is ours to remove.
    struct stat now {};
    if (stale && ::lstat(temporary.c_str(), &now) == 0 && same_file(now, opened)) {
      if (::unlink(temporary.c_str()) == 0 || errno == ENOENT) state = name_state::free;
    } else if (stale) {
      state = name_state::free;  // gone or replaced meanwhile: look again
    }
  }
  ::close(fd);
  return state;
}

void make_room(const std::string& output, const std::string& temporary,
               std::chrono::steady_clock::time_point deadline, int& wait_ms) {
  switch (remove_if_stale(temporary)) {
    case name_state::free:
      return;
    case name_state::foreign:
      throw error(error_kind::output_failed, output,
                  "cannot create " + temporary + ": a file kmq did not write has that name (move or remove it)");
    case name_state::busy:
      break;
  }
  if (std::chrono::steady_clock::now() >= deadline)
    throw error(error_kind::output_failed, output,
                "cannot create " + temporary + ": another process is writing the same output");
  std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
  wait_ms = std::min(wait_ms * 2, 50);
}

}  // namespace kmq::io::detail
