// The CUDA backend's factory, as pure C++: it compiles without nvcc. Without a
// CUDA build the same functions exist and report that CUDA is not compiled in.
#pragma once
#include <memory>
#include <string>

#include "kmq/backend.hpp"

namespace kmq {

struct cuda_status {
  bool compiled = false;   // built with the CUDA backend
  bool available = false;  // a device answered
  int device_index = -1;
  std::string device_name;  // e.g. "NVIDIA H100 80GB HBM3"
  std::string reason;       // why not available: "not compiled in", "no CUDA driver", "no device", ...
};

// Never throws; a failed cudaGetDeviceCount() (no driver, no device) reads as
// "not available". The answer is cached after the first call.
cuda_status cuda_probe();

// Throws kmq::error(backend_unavailable) when cuda_probe() says no.
// host_threads: for the host-side steps (refinement, polishing; the same
// result on any count); 0 = every core, as make_cpu_backend(0).
std::unique_ptr<backend> make_cuda_backend(int host_threads = 0);

// Whether the greedy seeding had a CUDA graph capture refused in this process
// (it then launched the same kernels one by one: same results, slower), so
// that a timing is not taken for one with graphs. False without CUDA.
bool cuda_graph_capture_refused() noexcept;

}  // namespace kmq
