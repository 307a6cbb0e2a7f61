// Error checking for every CUDA runtime call and kernel launch. A failed call
// becomes a kmq::error, so the CLI maps it to an exit code like any other
// failure; running out of device memory keeps its own category.
#pragma once
#include <cuda_runtime.h>

#include <string>

#include "kmq/error.hpp"

namespace kmq::cuda {

[[noreturn]] inline void throw_cuda_error(cudaError_t code, const char* what, const char* file, int line) {
  // Clear the runtime's last-error slot so a later, unrelated check does not
  // report this failure again (sticky errors stay sticky whatever we do).
  (void)cudaGetLastError();
  const error_kind kind = code == cudaErrorMemoryAllocation ? error_kind::out_of_memory : error_kind::internal;
  throw error(kind, std::string("CUDA: ") + what + " failed: " + cudaGetErrorName(code) + " (" +
                        cudaGetErrorString(code) + ") at " + file + ":" + std::to_string(line));
}

// Waits for a stream when it leaves scope, also when an exception leaves it:
// for calls that may throw with copies from the caller's memory, or steps
// that write device state, still queued. A destructor cannot throw: a failed
// wait is dropped here (a fault of the queued work sticks to the context, and
// the next checked call reports it).
class stream_drain {
 public:
  explicit stream_drain(cudaStream_t stream) : stream_(stream) {}
  ~stream_drain() {
    if (cudaStreamSynchronize(stream_) != cudaSuccess) (void)cudaGetLastError();
  }
  stream_drain(const stream_drain&) = delete;
  stream_drain& operator=(const stream_drain&) = delete;

 private:
  cudaStream_t stream_;
};

}  // namespace kmq::cuda

#define KMQ_CUDA_TRY(call)                                                        \
  do {                                                                            \
    const cudaError_t kmq_cuda_status_ = (call);                                  \
    if (kmq_cuda_status_ != cudaSuccess) {                                        \
      ::kmq::cuda::throw_cuda_error(kmq_cuda_status_, #call, __FILE__, __LINE__); \
    }                                                                             \
  } while (0)

// After every <<<...>>> (name: a string literal): launch-configuration errors
// only show up in the runtime's last-error slot.
#define KMQ_CUDA_CHECK_LAUNCH(name)                                                       \
  do {                                                                                    \
    const cudaError_t kmq_cuda_status_ = cudaGetLastError();                              \
    if (kmq_cuda_status_ != cudaSuccess) {                                                \
      ::kmq::cuda::throw_cuda_error(kmq_cuda_status_, "launch of " name, __FILE__, __LINE__); \
    }                                                                                     \
  } while (0)
