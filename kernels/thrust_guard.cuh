// Thrust reports failures as exceptions of its own; the library promises
// kmq::error, with running out of device memory kept apart.
#pragma once
#include <thrust/system_error.h>

#include <exception>
#include <new>
#include <string>
#include <utility>

#include "cuda_check.cuh"

namespace kmq::cuda {

template <typename Fn>
auto thrust_guard(const char* what, Fn&& fn) -> decltype(fn()) {
  try {
    return std::forward<Fn>(fn)();
  } catch (const kmq::error&) {
    throw;
  } catch (const thrust::system_error& e) {
    (void)cudaGetLastError();
    const bool oom = e.code().value() == static_cast<int>(cudaErrorMemoryAllocation);
    throw error(oom ? error_kind::out_of_memory : error_kind::internal, std::string("CUDA: ") + what + ": " + e.what());
  } catch (const std::bad_alloc& e) {
    (void)cudaGetLastError();
    throw error(error_kind::out_of_memory, std::string("CUDA: ") + what + ": out of device memory (" + e.what() + ")");
  } catch (const std::exception& e) {
    (void)cudaGetLastError();
    throw error(error_kind::internal, std::string("CUDA: ") + what + ": " + e.what());
  }
}

}  // namespace kmq::cuda
