// An owning, move-only array in device memory: freed on every path, including
// when a later call in the same function throws.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdlib>
#include <string>
#include <utility>

#include "cuda_check.cuh"
#include "pinned_for_copy.cuh"

namespace kmq::cuda {

// The largest single device allocation allowed, from KMQ_CUDA_MAX_ALLOCATION
// (bytes; unset: no cap). It makes "the device ran out of memory" happen on
// purpose, so that tests can check what --backend auto and cuda do then.
inline std::size_t allocation_cap() {
  const char* text = std::getenv("KMQ_CUDA_MAX_ALLOCATION");
  if (text == nullptr || *text == '\0') return ~std::size_t{0};
  return static_cast<std::size_t>(std::strtoull(text, nullptr, 10));
}

template <typename T>
class device_buffer {
 public:
  device_buffer() = default;
  explicit device_buffer(std::size_t count) { reserve(count); }
  ~device_buffer() { release(); }

  device_buffer(const device_buffer&) = delete;
  device_buffer& operator=(const device_buffer&) = delete;
  device_buffer(device_buffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), capacity_(std::exchange(other.capacity_, 0)) {}
  device_buffer& operator=(device_buffer&& other) noexcept {
    if (this != &other) {
      release();
      data_ = std::exchange(other.data_, nullptr);
      capacity_ = std::exchange(other.capacity_, 0);
    }
    return *this;
  }

  // Room for at least count elements; the contents are not kept when it grows
  // (every caller overwrites them), which saves a device-to-device copy.
  void reserve(std::size_t count) {
    if (count <= capacity_) return;
    release();
    if (count * sizeof(T) > allocation_cap()) {
      throw error(error_kind::out_of_memory, "CUDA: out of device memory (" + std::to_string(count * sizeof(T)) +
                                                 " bytes asked, KMQ_CUDA_MAX_ALLOCATION caps one allocation)");
    }
    void* p = nullptr;
    KMQ_CUDA_TRY(cudaMalloc(&p, count * sizeof(T)));
    data_ = static_cast<T*>(p);
    capacity_ = count;
  }

  // Every transfer below is queued on stream: the one the passes that use
  // this buffer run on, so that copies and passes keep their order.

  // Queues the copy of count elements from host. A large range is pinned for
  // the copy and unpinned once the stream has drained (pinned_for_copy); a
  // pageable range may be reused as soon as this returns (the driver has
  // staged it). A range the caller pinned itself must stay as it is until
  // the stream next synchronises (every backend call does before it returns).
  void upload(const T* host, std::size_t count, cudaStream_t stream) {
    reserve(count);
    if (count == 0) return;
    const pinned_for_copy pinned(host, count * sizeof(T), stream);
    KMQ_CUDA_TRY(cudaMemcpyAsync(data_, host, count * sizeof(T), cudaMemcpyHostToDevice, stream));
  }

  // Copies count elements to host, after everything queued on stream before
  // it, and waits for them: the host reads host at once.
  void download(T* host, std::size_t count, cudaStream_t stream) const {
    if (count == 0) return;
    KMQ_CUDA_TRY(cudaMemcpyAsync(host, data_, count * sizeof(T), cudaMemcpyDeviceToHost, stream));
    KMQ_CUDA_TRY(cudaStreamSynchronize(stream));
  }

  // Every byte of the first count elements set to byte (queued, not waited for).
  void fill_bytes(int byte, std::size_t count, cudaStream_t stream) {
    if (count != 0) KMQ_CUDA_TRY(cudaMemsetAsync(data_, byte, count * sizeof(T), stream));
  }

  T* data() { return data_; }
  const T* data() const { return data_; }
  std::size_t capacity() const { return capacity_; }

 private:
  void release() noexcept {
    // A destructor cannot throw; a failing cudaFree here means the context is
    // already broken, and the next checked call will say so.
    if (data_ != nullptr && cudaFree(data_) != cudaSuccess) (void)cudaGetLastError();
    data_ = nullptr;
    capacity_ = 0;
  }

  T* data_ = nullptr;
  std::size_t capacity_ = 0;
};

}  // namespace kmq::cuda
