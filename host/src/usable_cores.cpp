#include "kmq/usable_cores.hpp"

#include <algorithm>
#include <cerrno>
#include <thread>

#if defined(__linux__)
#include <sched.h>
#endif

namespace kmq {

int usable_cores() noexcept {
#if defined(__linux__)
  // A fixed cpu_set_t holds 1024 CPUs; a larger machine needs a larger set.
  for (int cpus = 1024; cpus <= (1 << 16); cpus *= 4) {
    cpu_set_t* set = CPU_ALLOC(cpus);
    if (set == nullptr) break;
    const std::size_t size = CPU_ALLOC_SIZE(cpus);
    CPU_ZERO_S(size, set);
    const int got = ::sched_getaffinity(0, size, set);
    const int failure = got == 0 ? 0 : errno;
    const int count = got == 0 ? CPU_COUNT_S(size, set) : 0;
    CPU_FREE(set);
    if (got == 0) return std::max(1, count);
    if (failure != EINVAL) break;
  }
#endif
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace kmq
