// The memory a call touches for the first time: its minor page faults (every
// thread of the process) x the page size. After fresh_large_blocks() every
// large block is a fresh mmap, returned when freed, as in a process that
// handles one image; otherwise glibc's reuse of what an earlier call freed
// would hide the allocation from every call after the first. For benchmarks
// that time calls inside one process (those that run each side as a process
// of its own read its peak with child_process.hpp).
#pragma once
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

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

// Large blocks from the heap, reused once freed, as glibc settles on in a
// long loop (its dynamic threshold's ceiling): for the timed loop of a
// micro-benchmark after its set-up was measured fresh.
inline void reused_large_blocks() { ::mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024); }

// Runs call(); returns the MiB it touched for the first time.
template <typename Call>
double mib_touched_by(Call&& call) {
  const long before = minor_faults_so_far();
  std::forward<Call>(call)();
  return mib_of_faults(minor_faults_so_far() - before);
}

// The same with every large block a fresh mmap during the call only (what
// its allocations touch, not memory an earlier benchmark freed), large
// blocks reused again after it.
template <typename Call>
double mib_touched_fresh(Call&& call) {
  fresh_large_blocks();
  const double mib = mib_touched_by(std::forward<Call>(call));
  reused_large_blocks();
  return mib;
}

}  // namespace kmq::bench
