// How many cores this process may run on: the calling thread's CPU affinity
// (taskset, a container's cpuset, a batch scheduler's allocation; the main
// thread's is the process's unless it was changed), not the machine's count,
// which std::thread::hardware_concurrency() gives. A CPU quota without a
// cpuset (docker --cpus) is not an affinity and is not seen. Every "0 = all
// cores" default asks this.
#pragma once

namespace kmq {

int usable_cores() noexcept;  // >= 1

}  // namespace kmq
