// The memory a call touches for the first time: its minor page faults (every
// thread of the process) x the page size. mib_touched_fresh() makes every
// large block a fresh mmap during the call, returned when freed, as in a
// process that handles one image (otherwise glibc's reuse of what an earlier
// call freed would hide the allocation), and lets large blocks be reused
// after it, so the timed calls around it keep the usual reuse. For
// benchmarks that time calls inside one process (those that run each side as
// a process of its own read its peak with child_process.hpp). A fault is a
// 4 KiB page unless transparent huge pages map 2 MiB at once (mode "always":
// huge_pages_note() says which), when the counts are a lower bound.
#pragma once
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <utility>

namespace kmq::bench {

inline long minor_faults_so_far() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

inline double mib_of_faults(long faults) {
  return static_cast<double>(faults) * static_cast<double>(::sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

// Every block of 128 KiB or more a fresh mmap (a fixed threshold: glibc
// would otherwise raise it after the first large free).
inline void fresh_large_blocks() { ::mallopt(M_MMAP_THRESHOLD, 128 * 1024); }

// Large blocks from the heap and kept there once freed (the threshold at
// glibc's dynamic ceiling, the top of the heap not trimmed below 64 MiB), as
// glibc settles on in a long loop: setting the threshold ends its dynamic
// mode, whose raising of the trim threshold would otherwise be lost.
inline void reused_large_blocks() {
  ::mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  ::mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
}

// Runs call(); returns the MiB it touched for the first time.
template <typename Call>
double mib_touched_by(Call&& call) {
  const long before = minor_faults_so_far();
  std::forward<Call>(call)();
  return mib_of_faults(minor_faults_so_far() - before);
}

// The same with every large block a fresh mmap during the call only, large
// blocks reused again after it. The heap's free memory is given back first
// (malloc_trim: a chunk reused from it faults anew), or a large block could
// come from an earlier call's free chunk without a fault.
template <typename Call>
double mib_touched_fresh(Call&& call) {
  fresh_large_blocks();
  ::malloc_trim(0);
  const double mib = mib_touched_by(std::forward<Call>(call));
  reused_large_blocks();
  return mib;
}

// mib_touched_fresh() on a benchmark's first run (measure), a plain call on
// the others (0 returned): the later, timed runs reuse memory as usual.
template <typename Call>
double mib_touched_fresh_if(bool measure, Call&& call) {
  if (measure) return mib_touched_fresh(std::forward<Call>(call));
  std::forward<Call>(call)();
  return 0.0;
}

// "transparent huge pages: madvise" (the kernel's mode), for a table's notes.
inline std::string huge_pages_note() {
  std::ifstream file("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string modes;
  std::getline(file, modes);
  const auto open = modes.find('['), close = modes.find(']');
  if (open == std::string::npos || close == std::string::npos || close < open) return "transparent huge pages: unknown";
  return "transparent huge pages: " + modes.substr(open + 1, close - open - 1);
}

}  // namespace kmq::bench
