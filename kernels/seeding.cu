// k-means++ seeding on the device. D(i), the squared distance from point i to
// its nearest chosen centre, is an integer between integer colours, so every
// potential, prefix sum and sampled index here is exact and equals the CPU's.
// The random targets come from the host's generator, or (greedy loop) from the
// same generator class, run by one thread of each selection block.
#include <cub/block/block_reduce.cuh>
#include <cub/block/block_scan.cuh>
#include <thrust/binary_search.h>
#include <thrust/execution_policy.h>
#include <thrust/scan.h>

#include <cstddef>

#include "cuda_check.cuh"
#include "kernels.cuh"
#include "kmq/random.hpp"
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

// All candidates in one pass over the points: each point is read once and its
// contribution to every candidate's potential kept in registers. potentials
// (count words) must be zero on entry. Does nothing once *failed is set.
__global__ void __launch_bounds__(block_threads)
    candidates_kernel(const std::uint32_t* __restrict__ points, const std::uint32_t* __restrict__ weights,
                      const std::uint32_t* __restrict__ distance, std::size_t n,
                      const std::uint32_t* __restrict__ candidates, int count,
                      unsigned long long* __restrict__ potentials, const int* __restrict__ failed) {
  if (failed != nullptr && *failed != 0) return;
  __shared__ unsigned long long block_totals[max_candidates_per_pass];
  __shared__ std::uint32_t colour[max_candidates_per_pass];
  if (threadIdx.x < max_candidates_per_pass) {
    block_totals[threadIdx.x] = 0;
    colour[threadIdx.x] = threadIdx.x < static_cast<unsigned>(count) ? candidates[threadIdx.x] : 0u;
  }
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
      if (c < count) mine[c] += w * min(d, squared_distance_dev(x, colour[c]));
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

// ---- the greedy loop: one step = select, candidates, update -------------------
// The points fall in chunks of greedy_chunk_points; the update leaves each
// chunk's sum of weight * D, so the selection finds a target's chunk by a
// scan over the chunk sums and its point by a scan inside that chunk: no
// full prefix array, and no separate draw, scan and search launches.

using chunk_reduce = cub::BlockReduce<unsigned long long, block_threads>;
using chunk_scan = cub::BlockScan<unsigned long long, block_threads>;
constexpr unsigned points_per_thread = greedy_chunk_points / block_threads;
static_assert(points_per_thread * block_threads == greedy_chunk_points, "a chunk is whole threads");

// chunk_sums[c] = sum of weight * D over chunk c. With add_best, D first takes
// in the best candidate of this step (every block picks the same one: lowest
// potential, first on ties), and one thread moves the loop state on.
__global__ void __launch_bounds__(block_threads)
    chunk_update_kernel(const std::uint32_t* __restrict__ points, const std::uint32_t* __restrict__ weights,
                        std::uint32_t* __restrict__ distance, std::size_t n, greedy_state* state, int trials,
                        bool add_best, unsigned long long* __restrict__ chunk_sums, std::uint32_t* __restrict__ centres) {
  __shared__ typename chunk_reduce::TempStorage reduce_storage;
  if (state->failed != 0) return;
  int best = 0;
  std::uint32_t centre = 0;
  if (add_best) {
    for (int t = 1; t < trials; ++t) {
      if (state->candidate_potential[t] < state->candidate_potential[best]) best = t;
    }
    centre = state->candidate[best];
  }
  const std::size_t chunks = (n + greedy_chunk_points - 1) / greedy_chunk_points;
  for (std::size_t c = blockIdx.x; c < chunks; c += gridDim.x) {
    unsigned long long mine = 0;
#pragma unroll
    for (unsigned j = 0; j < points_per_thread; ++j) {
      const std::size_t i = c * greedy_chunk_points + j * block_threads + threadIdx.x;
      if (i < n) {
        std::uint32_t d = distance[i];
        if (add_best) {
          d = min(d, squared_distance_dev(points[i], centre));
          distance[i] = d;
        }
        mine += static_cast<unsigned long long>(weights[i]) * d;
      }
    }
    const unsigned long long total = chunk_reduce(reduce_storage).Sum(mine);
    if (threadIdx.x == 0) chunk_sums[c] = total;
    __syncthreads();  // reduce_storage is used again
  }
  if (add_best && blockIdx.x == 0 && threadIdx.x == 0) {
    // The only writer of these fields during the kernel; no block reads them.
    // The selection drew this step's targets from rng without moving it on.
    seeded_random random(state->rng);
    for (int t = 0; t < trials; ++t) (void)random.below(state->potential);
    state->rng = random.state();
    centres[state->step] = centre;
    state->step += 1;
    // The best candidate's potential is the new potential exactly.
    state->potential = state->candidate_potential[best];
  }
}

// Block t: target t (each block repeats the step's draws, as seed_centres()
// makes them, and keeps its own), then the point whose prefix sum of
// weight * D first exceeds it: an upper bound over the whole prefix.
__global__ void __launch_bounds__(block_threads)
    select_kernel(const std::uint32_t* __restrict__ points, const std::uint32_t* __restrict__ weights,
                  const std::uint32_t* __restrict__ distance, std::size_t n,
                  const unsigned long long* __restrict__ chunk_sums, greedy_state* state) {
  __shared__ typename chunk_scan::TempStorage scan_storage;
  __shared__ unsigned long long target_shared, chunk_base;
  __shared__ std::size_t chunk_found;
  __shared__ int found, failed;
  // Another block may set failed while this one starts: read it once, so
  // that the whole block returns or none of it does.
  if (threadIdx.x == 0) failed = state->failed;
  __syncthreads();
  if (failed != 0) return;
  const unsigned long long potential = state->potential;  // not written during this kernel
  if (potential == 0) {
    if (threadIdx.x == 0) state->failed = greedy_state::no_potential;
    return;
  }
  if (threadIdx.x == 0) {
    seeded_random random(state->rng);
    unsigned long long target = 0;
    for (unsigned t = 0; t <= blockIdx.x; ++t) target = random.below(potential);
    target_shared = target;
    found = 0;
    state->candidate_potential[blockIdx.x] = 0;  // the candidates pass adds into it
  }
  __syncthreads();
  const unsigned long long target = target_shared;

  // The chunk: each thread a contiguous slice of the chunk sums.
  const std::size_t chunks = (n + greedy_chunk_points - 1) / greedy_chunk_points;
  const std::size_t per_thread = (chunks + block_threads - 1) / block_threads;
  const std::size_t first = threadIdx.x * per_thread;
  const std::size_t last = min(first + per_thread, chunks);
  unsigned long long slice = 0;
  for (std::size_t c = first; c < last; ++c) slice += chunk_sums[c];
  unsigned long long before = 0;
  chunk_scan(scan_storage).ExclusiveSum(slice, before);
  if (before <= target && target - before < slice) {  // exactly one thread
    unsigned long long running = before;
    for (std::size_t c = first; c < last; ++c) {
      if (target - running < chunk_sums[c]) {
        chunk_found = c;
        chunk_base = running;
        found = 1;
        break;
      }
      running += chunk_sums[c];
    }
  }
  __syncthreads();
  if (found == 0) {
    if (threadIdx.x == 0) state->failed = greedy_state::target_beyond_potential;
    return;
  }

  // The point: each thread points_per_thread consecutive points of the chunk.
  const std::size_t begin = chunk_found * greedy_chunk_points + threadIdx.x * points_per_thread;
  unsigned long long w[points_per_thread];
  unsigned long long local = 0;
#pragma unroll
  for (unsigned j = 0; j < points_per_thread; ++j) {
    const std::size_t i = begin + j;
    w[j] = i < n ? static_cast<unsigned long long>(weights[i]) * distance[i] : 0ull;
    local += w[j];
  }
  unsigned long long before_in_chunk = 0;
  chunk_scan(scan_storage).ExclusiveSum(local, before_in_chunk);
  const unsigned long long rest = target - chunk_base;
  if (before_in_chunk <= rest && rest - before_in_chunk < local) {
    unsigned long long running = before_in_chunk;
#pragma unroll
    for (unsigned j = 0; j < points_per_thread; ++j) {
      if (rest - running < w[j]) {
        state->candidate[blockIdx.x] = points[begin + j];
        break;
      }
      running += w[j];
    }
  }
}

}  // namespace

void seed_update(const packed_rgba* points, const std::uint32_t* weights, std::uint32_t* distance, std::size_t n,
                 packed_rgba centre, bool first, std::uint64_t* potential, cudaStream_t stream) {
  KMQ_CUDA_TRY(cudaMemsetAsync(potential, 0, sizeof(std::uint64_t), stream));
  if (n == 0) return;
  seed_update_kernel<<<grid_for(n, block_threads), block_threads, 0, stream>>>(
      points, weights, distance, n, centre, first, reinterpret_cast<unsigned long long*>(potential));
  KMQ_CUDA_CHECK_LAUNCH("seed_update_kernel");
}

void seed_prefix(const std::uint32_t* weights, const std::uint32_t* distance, std::size_t n, std::uint64_t* prefix,
                 cudaStream_t stream) {
  if (n == 0) return;
  weighted_distance_kernel<<<grid_for(n, block_threads), block_threads, 0, stream>>>(
      weights, distance, n, reinterpret_cast<unsigned long long*>(prefix));
  KMQ_CUDA_CHECK_LAUNCH("weighted_distance_kernel");
  thrust_guard("seeding prefix sum",
               [&] { thrust::inclusive_scan(thrust::cuda::par.on(stream), prefix, prefix + n, prefix); });
}

void seed_search(const std::uint64_t* prefix, std::size_t n, const std::uint64_t* targets, int count,
                 std::uint32_t* out, cudaStream_t stream) {
  if (count <= 0) return;
  thrust_guard("seeding search", [&] {
    thrust::upper_bound(thrust::cuda::par.on(stream), prefix, prefix + n, targets, targets + count, out);
  });
}

void seed_candidates(const packed_rgba* points, const std::uint32_t* weights, const std::uint32_t* distance,
                     std::size_t n, const packed_rgba* candidates, int count, std::uint64_t* potentials,
                     cudaStream_t stream) {
  if (count <= 0) return;
  if (count > max_candidates_per_pass) throw error(error_kind::internal, "seed_candidates: too many candidates");
  KMQ_CUDA_TRY(cudaMemsetAsync(potentials, 0, sizeof(std::uint64_t) * static_cast<std::size_t>(count), stream));
  if (n == 0) return;
  candidates_kernel<<<grid_for(n, block_threads), block_threads, 0, stream>>>(
      points, weights, distance, n, candidates, count, reinterpret_cast<unsigned long long*>(potentials), nullptr);
  KMQ_CUDA_CHECK_LAUNCH("candidates_kernel");
}

std::size_t greedy_chunk_count(std::size_t n) { return (n + greedy_chunk_points - 1) / greedy_chunk_points; }

cudaError_t greedy_prepare(const greedy_loop& loop, cudaStream_t stream) {
  chunk_update_kernel<<<grid_for(greedy_chunk_count(loop.n), 1), block_threads, 0, stream>>>(
      loop.points, loop.weights, loop.distance, loop.n, loop.state, loop.trials, false,
      reinterpret_cast<unsigned long long*>(loop.chunk_sums), loop.centres);
  return cudaGetLastError();
}

cudaError_t greedy_enqueue_step(const greedy_loop& loop, cudaStream_t stream) {
  auto* chunk_sums = reinterpret_cast<unsigned long long*>(loop.chunk_sums);
  select_kernel<<<static_cast<unsigned>(loop.trials), block_threads, 0, stream>>>(loop.points, loop.weights,
                                                                                  loop.distance, loop.n, chunk_sums,
                                                                                  loop.state);
  cudaError_t code = cudaGetLastError();
  if (code != cudaSuccess) return code;
  // Fields of the device-side state, addressed without dereferencing it here.
  char* const state = reinterpret_cast<char*>(loop.state);
  candidates_kernel<<<grid_for(loop.n, block_threads), block_threads, 0, stream>>>(
      loop.points, loop.weights, loop.distance, loop.n,
      reinterpret_cast<const std::uint32_t*>(state + offsetof(greedy_state, candidate)), loop.trials,
      reinterpret_cast<unsigned long long*>(state + offsetof(greedy_state, candidate_potential)),
      reinterpret_cast<const int*>(state + offsetof(greedy_state, failed)));
  if ((code = cudaGetLastError()) != cudaSuccess) return code;
  chunk_update_kernel<<<grid_for(greedy_chunk_count(loop.n), 1), block_threads, 0, stream>>>(
      loop.points, loop.weights, loop.distance, loop.n, loop.state, loop.trials, true, chunk_sums, loop.centres);
  return cudaGetLastError();
}

}  // namespace kmq::cuda
