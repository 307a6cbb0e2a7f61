#include "kmq/backend_select.hpp"

#include "kmq/cuda_backend.hpp"
#include "kmq/error.hpp"

namespace kmq {

backend_choice parse_backend_choice(const std::string& text) {
  if (text == "auto") return backend_choice::automatic;
  if (text == "cpu") return backend_choice::cpu;
  if (text == "cuda") return backend_choice::cuda;
  throw error(error_kind::invalid_argument, "unknown --backend '" + text + "' (expected auto, cpu or cuda)");
}

bool cuda_compiled_in() noexcept {
#ifdef KMQ_HAVE_CUDA
  return true;
#else
  return false;
#endif
}

std::unique_ptr<backend> make_backend(backend_choice choice, int threads) {
  if (choice == backend_choice::cpu) return make_cpu_backend(threads);
  const cuda_status cuda = cuda_probe();
  if (cuda.available) {
    try {
      return make_cuda_backend(threads);
    } catch (const error&) {
      if (choice == backend_choice::cuda) throw;  // auto: a device that fails to start is no device
    }
  }
  if (choice == backend_choice::cuda) {
    throw error(error_kind::backend_unavailable, "--backend cuda: " + cuda.reason);
  }
  return make_cpu_backend(threads);
}

}  // namespace kmq
