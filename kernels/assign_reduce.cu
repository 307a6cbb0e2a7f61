// One Lloyd pass, fused: each thread takes a point, finds its nearest centroid
// and adds the point's weighted statistics to its block's private copy of the
// per-cluster sums; each block then adds its copy to the global sums once.
//
// Everything summed is an integer, so the order in which threads, warps and
// blocks add does not change a bit: the result equals the CPU backend's.
// The distance is centroid_distance() from backend.hpp, operation for
// operation, each rounded on its own (the _rn intrinsics are never fused).
#include <cuda_runtime.h>

#include "cuda_check.cuh"
#include "kernels.cuh"

namespace kmq::cuda {
namespace {

constexpr unsigned full_warp = 0xffffffffu;
constexpr int fields = 6;  // count, 4 channel sums, squared norm

__device__ __forceinline__ float channel_float(std::uint32_t x, int c) { return __uint2float_rn((x >> (8 * c)) & 0xffu); }

// Sums v over the lanes that share this lane's label (peers, from
// __match_any_sync); the group's lowest lane ends up holding the total.
// A tree over each group's ranks, all groups at once: after round r, the lane
// of rank q (q divisible by 2^(r+1)) holds the sum of ranks [q, q + 2^(r+1)).
// Every lane takes part in every shuffle, so the warp must be converged.
// (After E. Westphal, "Voting and shuffling to optimize atomic operations".)
__device__ __forceinline__ void reduce_over_peers(unsigned peers, unsigned lane, unsigned long long (&v)[fields]) {
  unsigned rank = __popc(peers & ((1u << lane) - 1u));
  unsigned above = peers & (0xfffffffeu << lane);  // peers with a higher lane
  while (__any_sync(full_warp, above != 0u)) {
    const int next = __ffs(above);  // 1 + lowest remaining peer above, 0 if none
    const int source = next > 0 ? next - 1 : static_cast<int>(lane);
#pragma unroll
    for (int f = 0; f < fields; ++f) {
      const unsigned long long t = __shfl_sync(full_warp, v[f], source);
      if (next > 0) v[f] += t;
    }
    // Lanes of odd rank have been added into their lower neighbour: drop them.
    above &= ~__ballot_sync(full_warp, (rank & 1u) != 0u);
    rank >>= 1;
  }
}

__device__ __forceinline__ unsigned long long warp_max(unsigned long long v) {
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1) {
    const unsigned long long o = __shfl_xor_sync(full_warp, v, offset);
    v = o > v ? o : v;
  }
  return v;
}

__device__ __forceinline__ unsigned warp_sum(unsigned v) {
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(full_warp, v, offset);
  return v;
}

__global__ void __launch_bounds__(assign_block_threads)
    assign_reduce_kernel(const std::uint32_t* __restrict__ points, const std::uint32_t* __restrict__ weights,
                         std::uint32_t* __restrict__ labels, std::size_t n, const float4* __restrict__ centroids,
                         int k, unsigned long long* __restrict__ accumulators) {
  __shared__ float4 centre[max_colors];
  __shared__ unsigned long long acc[fields][max_colors];
  __shared__ unsigned long long block_changed;
  __shared__ unsigned long long block_farthest;

  for (int j = threadIdx.x; j < k; j += blockDim.x) {
    centre[j] = centroids[j];
#pragma unroll
    for (int f = 0; f < fields; ++f) acc[f][j] = 0;
  }
  if (threadIdx.x == 0) {
    block_changed = 0;
    block_farthest = 0;
  }
  __syncthreads();

  const unsigned lane = threadIdx.x & 31u;
  unsigned changed = 0;             // this thread's points whose label moved
  unsigned long long farthest = 0;  // max of (distance bits << 32 | ~index)

  // The loop bound depends on the block only, so whole warps stay converged
  // for the shuffles below; lanes past the end take part with zeros.
  const std::size_t stride = std::size_t{gridDim.x} * blockDim.x;
  for (std::size_t base = std::size_t{blockIdx.x} * blockDim.x; base < n; base += stride) {
    const std::size_t i = base + threadIdx.x;
    const bool valid = i < n;
    std::uint32_t label = 0xffffffffu;  // groups the idle lanes together, apart from real labels
    unsigned long long v[fields] = {0, 0, 0, 0, 0, 0};
    if (valid) {
      const std::uint32_t x = points[i];
      const float x0 = channel_float(x, 0), x1 = channel_float(x, 1);
      const float x2 = channel_float(x, 2), x3 = channel_float(x, 3);
      float best_distance = __int_as_float(0x7f800000);  // +inf, as the CPU's lanes start
      std::uint32_t best = 0;
#pragma unroll 4
      for (int j = 0; j < k; ++j) {
        const float4 c = centre[j];
        const float d0 = __fsub_rn(x0, c.x);
        const float d1 = __fsub_rn(x1, c.y);
        const float d2 = __fsub_rn(x2, c.z);
        const float d3 = __fsub_rn(x3, c.w);
        float total = __fmul_rn(d0, d0);
        total = __fadd_rn(total, __fmul_rn(d1, d1));
        total = __fadd_rn(total, __fmul_rn(d2, d2));
        total = __fadd_rn(total, __fmul_rn(d3, d3));
        // Strict < keeps the lowest index on ties, as on the CPU.
        if (total < best_distance) {
          best_distance = total;
          best = static_cast<std::uint32_t>(j);
        }
      }
      label = best;
      if (labels[i] != best) {
        labels[i] = best;
        ++changed;
      }
      const unsigned long long key =
          (static_cast<unsigned long long>(__float_as_uint(best_distance)) << 32) | (~static_cast<std::uint32_t>(i));
      farthest = key > farthest ? key : farthest;

      const unsigned long long w = weights[i];
      const unsigned r = x & 0xffu, g = (x >> 8) & 0xffu, b = (x >> 16) & 0xffu, a = x >> 24;
      v[0] = w;
      v[1] = w * r;
      v[2] = w * g;
      v[3] = w * b;
      v[4] = w * a;
      v[5] = w * (r * r + g * g + b * b + a * a);
    }
    // Sorted colours often share a label with their neighbours: one shared
    // atomic per label per warp instead of one per lane.
    const unsigned peers = __match_any_sync(full_warp, label);
    reduce_over_peers(peers, lane, v);
    if (valid && lane == static_cast<unsigned>(__ffs(peers) - 1)) {
#pragma unroll
      for (int f = 0; f < fields; ++f) atomicAdd(&acc[f][label], v[f]);
    }
  }

  changed = warp_sum(changed);
  farthest = warp_max(farthest);
  if (lane == 0) {
    if (changed != 0) atomicAdd(&block_changed, static_cast<unsigned long long>(changed));
    atomicMax(&block_farthest, farthest);
  }
  __syncthreads();

  // One global atomic per non-empty cluster and field per block.
  for (int j = threadIdx.x; j < k; j += blockDim.x) {
    if (acc[0][j] == 0) continue;  // weights are >= 1: nothing landed here
    atomicAdd(&accumulators[j], acc[0][j]);
#pragma unroll
    for (int c = 0; c < 4; ++c) atomicAdd(&accumulators[k + 4 * j + c], acc[1 + c][j]);
    atomicAdd(&accumulators[5 * k + j], acc[5][j]);
  }
  if (threadIdx.x == 0) {
    if (block_changed != 0) atomicAdd(&accumulators[6 * k], block_changed);
    atomicMax(&accumulators[6 * k + 1], block_farthest);
  }
}

}  // namespace

int assign_reduce_occupancy() {
  int blocks = 0;
  KMQ_CUDA_TRY(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, assign_reduce_kernel, assign_block_threads, 0));
  return blocks < 1 ? 1 : blocks;
}

void assign_reduce(const packed_rgba* points, const std::uint32_t* weights, std::uint32_t* labels, std::size_t n,
                   const float* centroids, int k, std::uint64_t* accumulators, int grid, cudaStream_t stream) {
  if (n == 0) return;
  const std::size_t needed = (n + assign_block_threads - 1) / assign_block_threads;
  const unsigned blocks = static_cast<unsigned>(needed < static_cast<std::size_t>(grid) ? needed : grid);
  static_assert(sizeof(unsigned long long) == sizeof(std::uint64_t), "64-bit atomics on uint64_t");
  assign_reduce_kernel<<<blocks, assign_block_threads, 0, stream>>>(
      points, weights, labels, n, reinterpret_cast<const float4*>(centroids), k,
      reinterpret_cast<unsigned long long*>(accumulators));
  KMQ_CUDA_CHECK_LAUNCH("assign_reduce_kernel");
}

}  // namespace kmq::cuda
