// An owning, move-only array in device memory: freed on every path, including
// when a later call in the same function throws.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <utility>

#include "cuda_check.cuh"
#include "pinned_for_copy.cuh"

namespace kmq::cuda {

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
    void* p = nullptr;
    KMQ_CUDA_TRY(cudaMalloc(&p, count * sizeof(T)));
    data_ = static_cast<T*>(p);
    capacity_ = count;
  }

  void upload(const T* host, std::size_t count) {
    reserve(count);
    if (count == 0) return;
    const pinned_for_copy pinned(host, count * sizeof(T));
    KMQ_CUDA_TRY(cudaMemcpy(data_, host, count * sizeof(T), cudaMemcpyHostToDevice));
  }

  void download(T* host, std::size_t count) const {
    if (count != 0) KMQ_CUDA_TRY(cudaMemcpy(host, data_, count * sizeof(T), cudaMemcpyDeviceToHost));
  }

  // Every byte of the first count elements set to byte.
  void fill_bytes(int byte, std::size_t count) {
    if (count != 0) KMQ_CUDA_TRY(cudaMemset(data_, byte, count * sizeof(T)));
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
