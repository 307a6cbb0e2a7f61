// Stands in for the CUDA backend in builds without nvcc.
#include "kmq/cuda_backend.hpp"
#include "kmq/error.hpp"

namespace kmq {

cuda_status cuda_probe() {
  cuda_status status;
  status.reason = "this kmq was built without CUDA";
  return status;
}

bool cuda_graph_capture_refused() noexcept { return false; }

std::unique_ptr<backend> make_cuda_backend(int /*host_threads*/) {
  throw error(error_kind::backend_unavailable, cuda_probe().reason);
}

}  // namespace kmq
