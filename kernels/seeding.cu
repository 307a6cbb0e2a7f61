// k-means++ seeding on the device. D(i), the squared distance from point i to
// its nearest chosen centre, is an integer between integer colours, so every
// potential, prefix sum and sampled index here is exact and equals the CPU's.
// The random targets come from the host's generator; nothing random happens here.
#include <thrust/binary_search.h>
#include <thrust/execution_policy.h>
#include <thrust/scan.h>

#include "cuda_check.cuh"
#include "kernels.cuh"
#include "thrust_guard.cuh"

namespace kmq::cuda {
namespace {

constexpr unsigned full_warp = 0xffffffffu;
constexpr unsigned block_threads = 256;

__device__ __forceinline__ unsigned long long warp_sum(unsigned long long v) {
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(full_warp, v, offset);
  return v;
}

// One atomic per block: the warps' sums meet in shared memory first.
__device__ __forceinline__ void block_add(unsigned long long v, unsigned long long* total) {
  __shared__ unsigned long long warp_totals[block_threads / 32];
  v = warp_sum(v);
  const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5;
  if (lane == 0) warp_totals[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < blockDim.x / 32 ? warp_totals[lane] : 0;
    v = warp_sum(v);
    if (lane == 0 && v != 0) atomicAdd(total, v);
  }
}

__global__ void __launch_bounds__(block_threads)
    seed_update_kernel(const std::uint32_t* __restrict__ points, const std::uint32_t* __restrict__ weights,
                       std::uint32_t* __restrict__ distance, std::size_t n, std::uint32_t centre, bool first,
                       unsigned long long* __restrict__ potential) {
  unsigned long long mine = 0;
  for (std::size_t i = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x; i < n;
       i += std::size_t{gridDim.x} * blockDim.x) {
    std::uint32_t d = squared_distance_dev(points[i], centre);
    if (!first) d = min(d, distance[i]);
    distance[i] = d;
    mine += static_cast<unsigned long long>(weights[i]) * d;
  }
  block_add(mine, potential);
}

__global__ void weighted_distance_kernel(const std::uint32_t* __restrict__ weights,
                                         const std::uint32_t* __restrict__ distance, std::size_t n,
                                         unsigned long long* __restrict__ out) {
  for (std::size_t i = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x; i < n;
       i += std::size_t{gridDim.x} * blockDim.x) {
    out[i] = static_cast<unsigned long long>(weights[i]) * distance[i];
  }
}

struct candidate_set {
  std::uint32_t colour[max_candidates_per_pass];
};

// All candidates in one pass over the points: each point is read once and its
// contribution to every candidate's potential kept in registers.
__global__ void __launch_bounds__(block_threads)
    candidates_kernel(const std::uint32_t* __restrict__ points, const std::uint32_t* __restrict__ weights,
                      const std::uint32_t* __restrict__ distance, std::size_t n, candidate_set candidates, int count,
                      unsigned long long* __restrict__ potentials) {
  __shared__ unsigned long long block_totals[max_candidates_per_pass];
  if (threadIdx.x < max_candidates_per_pass) block_totals[threadIdx.x] = 0;
  __syncthreads();

  unsigned long long mine[max_candidates_per_pass];
#pragma unroll
  for (int c = 0; c < max_candidates_per_pass; ++c) mine[c] = 0;
  for (std::size_t i = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x; i < n;
       i += std::size_t{gridDim.x} * blockDim.x) {
    const std::uint32_t x = points[i], d = distance[i];
    const unsigned long long w = weights[i];
#pragma unroll
    for (int c = 0; c < max_candidates_per_pass; ++c) {
      if (c < count) mine[c] += w * min(d, squared_distance_dev(x, candidates.colour[c]));
    }
  }
#pragma unroll
  for (int c = 0; c < max_candidates_per_pass; ++c) {
    if (c < count) {
      const unsigned long long v = warp_sum(mine[c]);
      if ((threadIdx.x & 31u) == 0 && v != 0) atomicAdd(&block_totals[c], v);
    }
  }
  __syncthreads();
  if (threadIdx.x < static_cast<unsigned>(count) && block_totals[threadIdx.x] != 0) {
    atomicAdd(&potentials[threadIdx.x], block_totals[threadIdx.x]);
  }
}

}  // namespace

void seed_update(const packed_rgba* points, const std::uint32_t* weights, std::uint32_t* distance, std::size_t n,
                 packed_rgba centre, bool first, std::uint64_t* potential) {
  KMQ_CUDA_TRY(cudaMemset(potential, 0, sizeof(std::uint64_t)));
  if (n == 0) return;
  seed_update_kernel<<<grid_for(n, block_threads), block_threads>>>(
      points, weights, distance, n, centre, first, reinterpret_cast<unsigned long long*>(potential));
  KMQ_CUDA_CHECK_LAUNCH("seed_update_kernel");
}

void seed_prefix(const std::uint32_t* weights, const std::uint32_t* distance, std::size_t n, std::uint64_t* prefix) {
  if (n == 0) return;
  weighted_distance_kernel<<<grid_for(n, block_threads), block_threads>>>(
      weights, distance, n, reinterpret_cast<unsigned long long*>(prefix));
  KMQ_CUDA_CHECK_LAUNCH("weighted_distance_kernel");
  thrust_guard("seeding prefix sum",
               [&] { thrust::inclusive_scan(thrust::cuda::par, prefix, prefix + n, prefix); });
}

void seed_search(const std::uint64_t* prefix, std::size_t n, const std::uint64_t* targets, int count,
                 std::uint32_t* out) {
  if (count <= 0) return;
  thrust_guard("seeding search",
               [&] { thrust::upper_bound(thrust::cuda::par, prefix, prefix + n, targets, targets + count, out); });
}

void seed_candidates(const packed_rgba* points, const std::uint32_t* weights, const std::uint32_t* distance,
                     std::size_t n, const packed_rgba* candidates, int count, std::uint64_t* potentials) {
  if (count <= 0) return;
  if (count > max_candidates_per_pass) throw error(error_kind::internal, "seed_candidates: too many candidates");
  KMQ_CUDA_TRY(cudaMemset(potentials, 0, sizeof(std::uint64_t) * static_cast<std::size_t>(count)));
  if (n == 0) return;
  candidate_set set{};
  for (int c = 0; c < count; ++c) set.colour[c] = candidates[c];
  candidates_kernel<<<grid_for(n, block_threads), block_threads>>>(
      points, weights, distance, n, set, count, reinterpret_cast<unsigned long long*>(potentials));
  KMQ_CUDA_CHECK_LAUNCH("candidates_kernel");
}

}  // namespace kmq::cuda
