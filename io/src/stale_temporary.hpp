// Whose a temporary output name is: a living writer's (it holds flock() on
// the file), a killed run's leftover (nobody holds it, and it carries kmq's
// mark: removed), or something kmq never makes (not a regular file, or no
// mark: left alone). Both routes of
// write_file_atomically (output_file.cpp) ask before they take the name.
#pragma once
#include <sys/stat.h>

#include <chrono>
#include <string>

namespace kmq::io::detail {

enum class name_state {
  free,     // nothing there (any more)
  busy,     // a living process is writing it
  foreign,  // something we did not make (not a regular file, or unmarked)
};

inline bool same_file(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// Removes the file at temporary when it is a killed run's leftover (free then).
name_state remove_if_stale(const std::string& temporary);

// After creating the temporary name failed with EEXIST: removes a stale file,
// or waits while a living writer holds it. Throws when the name stays taken.
void make_room(const std::string& output, const std::string& temporary,
               std::chrono::steady_clock::time_point deadline, int& wait_ms);

// How long a write waits for a living writer of the same output (output_file.hpp).
inline constexpr std::chrono::seconds wait_for_other_writer{10};

}  // namespace kmq::io::detail
