// How many cores this process may run on: its CPU affinity (taskset, a
// container's cpuset, a batch scheduler's allocation), not the machine's
// count, which std::thread::hardware_concurrency() gives. Every "0 = all
// cores" default asks this.
#pragma once

namespace kmq {

int usable_cores() noexcept;  // >= 1

}  // namespace kmq
