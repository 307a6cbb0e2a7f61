// The colour histogram on the device, two ways, like the CPU's:
// - every pixel one alpha (most photos), and enough pixels: a direct 2^24
//   table of counts indexed by RGB, a scan of its non-empty slots numbers the
//   colours, and a gather gives every pixel its colour's index;
// - otherwise: radix-sort (colour, pixel) pairs, run lengths give the distinct
//   colours and their counts, and a scan of the run heads the pixel map.
//
// Exactly build_color_histogram() either way: colours ascending by packed key
// (with one alpha, RGB order is key order), integer counts, and a pixel ->
// colour map that does not depend on the order of equal keys.
#include <cub/device/device_scan.cuh>
#include <thrust/execution_policy.h>
#include <thrust/iterator/constant_iterator.h>
#include <thrust/reduce.h>
#include <thrust/scan.h>
#include <thrust/sequence.h>
#include <thrust/sort.h>

#include <limits>
#include <utility>

#include "device_buffer.cuh"
#include "kernels.cuh"
#include "thrust_guard.cuh"

namespace kmq::cuda {
namespace {

constexpr unsigned block_threads = 256;
constexpr unsigned full_warp = 0xffffffffu;
constexpr std::uint32_t rgb_mask = 0xffffffu;
constexpr std::size_t table_slots = std::size_t{1} << 24;

// and_or[0] &= every alpha, and_or[1] |= every alpha: equal iff one alpha.
__global__ void alpha_range_kernel(const std::uint32_t* __restrict__ pixels, std::size_t n, unsigned* and_or) {
  unsigned all = 0xffu, any = 0u;
  for (std::size_t i = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x; i < n;
       i += std::size_t{gridDim.x} * blockDim.x) {
    const unsigned alpha = pixels[i] >> 24;
    all &= alpha;
    any |= alpha;
  }
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1) {
    all &= __shfl_xor_sync(full_warp, all, offset);
    any |= __shfl_xor_sync(full_warp, any, offset);
  }
  if ((threadIdx.x & 31u) == 0) {
    atomicAnd(&and_or[0], all);
    atomicOr(&and_or[1], any);
  }
}

// table[rgb] += pixels of that colour; lanes holding one colour add once
// (flat areas would otherwise queue on one address).
__global__ void count_colours_kernel(const std::uint32_t* __restrict__ pixels, std::size_t n,
                                     std::uint32_t* __restrict__ table) {
  // The loop bound is the same for a whole block, so each warp stays converged.
  for (std::size_t base = blockIdx.x * std::size_t{blockDim.x}; base < n; base += std::size_t{gridDim.x} * blockDim.x) {
    const std::size_t i = base + threadIdx.x;
    const unsigned active = __ballot_sync(full_warp, i < n);
    if (i < n) {
      const std::uint32_t key = pixels[i] & rgb_mask;
      const unsigned peers = __match_any_sync(active, key);
      if (static_cast<int>(threadIdx.x & 31u) == __ffs(peers) - 1) atomicAdd(&table[key], __popc(peers));
    }
  }
}

__global__ void occupied_kernel(const std::uint32_t* __restrict__ table, std::uint32_t* __restrict__ flags) {
  for (std::size_t c = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x; c < table_slots;
       c += std::size_t{gridDim.x} * blockDim.x) {
    flags[c] = table[c] != 0 ? 1u : 0u;
  }
}

// index = exclusive scan of the occupied slots: each colour's place.
__global__ void compact_table_kernel(const std::uint32_t* __restrict__ table, const std::uint32_t* __restrict__ index,
                                     std::uint32_t alpha, std::uint32_t* __restrict__ colors,
                                     std::uint32_t* __restrict__ counts) {
  for (std::size_t c = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x; c < table_slots;
       c += std::size_t{gridDim.x} * blockDim.x) {
    const std::uint32_t count = table[c];
    if (count != 0) {
      colors[index[c]] = static_cast<std::uint32_t>(c) | (alpha << 24);
      counts[index[c]] = count;
    }
  }
}

__global__ void map_through_table_kernel(const std::uint32_t* __restrict__ pixels, std::size_t n,
                                         const std::uint32_t* __restrict__ index,
                                         std::uint32_t* __restrict__ pixel_to_color) {
  for (std::size_t i = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x; i < n;
       i += std::size_t{gridDim.x} * blockDim.x) {
    pixel_to_color[i] = index[pixels[i] & rgb_mask];
  }
}

// flags[s] = 1 where sorted position s starts a new colour.
__global__ void mark_run_heads(const std::uint32_t* __restrict__ keys, std::size_t n, std::uint32_t* __restrict__ flags) {
  for (std::size_t s = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x; s < n;
       s += std::size_t{gridDim.x} * blockDim.x) {
    flags[s] = (s == 0 || keys[s] != keys[s - 1]) ? 1u : 0u;
  }
}

// ranks[s] = 1 + index of the colour at sorted position s (inclusive scan of
// the heads); the pixel that sat there gets that index.
__global__ void scatter_colour_index(const std::uint32_t* __restrict__ order, const std::uint32_t* __restrict__ ranks,
                                     std::size_t n, std::uint32_t* __restrict__ pixel_to_color) {
  for (std::size_t s = blockIdx.x * std::size_t{blockDim.x} + threadIdx.x; s < n;
       s += std::size_t{gridDim.x} * blockDim.x) {
    pixel_to_color[order[s]] = ranks[s] - 1u;
  }
}

}  // namespace

namespace {

// The direct path; false (nothing done) where the pixels have several alphas.
// scratch.keys holds the pixels on entry and the pixel -> colour map on exit
// (queued on stream, not waited for).
bool direct_histogram(std::size_t count, histogram_scratch& scratch, std::size_t& distinct, std::uint32_t& alpha,
                      cudaStream_t stream) {
  const unsigned grid = grid_for(count, block_threads);
  const unsigned start[2] = {0xffu, 0u};
  unsigned range[2] = {0u, 0u};
  scratch.words.upload(start, 2, stream);
  alpha_range_kernel<<<grid, block_threads, 0, stream>>>(scratch.keys.data(), count, scratch.words.data());
  KMQ_CUDA_CHECK_LAUNCH("alpha_range_kernel");
  scratch.words.download(range, 2, stream);  // waits: the path depends on it
  if (range[0] != range[1]) return false;
  alpha = range[0];

  try {
    scratch.table.reserve(table_slots);
    scratch.index.reserve(table_slots);
  } catch (const error& e) {
    // 128 MB of tables do not fit: the sort needs far less for this image.
    if (e.kind() != error_kind::out_of_memory) throw;
    return false;
  }
  scratch.table.fill_bytes(0, table_slots, stream);
  count_colours_kernel<<<grid, block_threads, 0, stream>>>(scratch.keys.data(), count, scratch.table.data());
  KMQ_CUDA_CHECK_LAUNCH("count_colours_kernel");
  const unsigned table_grid = grid_for(table_slots, block_threads);
  occupied_kernel<<<table_grid, block_threads, 0, stream>>>(scratch.table.data(), scratch.index.data());
  KMQ_CUDA_CHECK_LAUNCH("occupied_kernel");
  std::size_t bytes = 0;
  KMQ_CUDA_TRY(cub::DeviceScan::ExclusiveSum(nullptr, bytes, scratch.index.data(), static_cast<int>(table_slots),
                                             stream));
  scratch.temp.reserve(bytes == 0 ? 1 : bytes);
  KMQ_CUDA_TRY(cub::DeviceScan::ExclusiveSum(scratch.temp.data(), bytes, scratch.index.data(),
                                             static_cast<int>(table_slots), stream));
  // Two words back, one wait: the number of colours sizes what follows.
  std::uint32_t last_index = 0, last_count = 0;
  KMQ_CUDA_TRY(cudaMemcpyAsync(&last_index, scratch.index.data() + table_slots - 1, sizeof last_index,
                               cudaMemcpyDeviceToHost, stream));
  KMQ_CUDA_TRY(cudaMemcpyAsync(&last_count, scratch.table.data() + table_slots - 1, sizeof last_count,
                               cudaMemcpyDeviceToHost, stream));
  KMQ_CUDA_TRY(cudaStreamSynchronize(stream));
  distinct = std::size_t{last_index} + (last_count != 0 ? 1u : 0u);

  scratch.colors.reserve(distinct);
  scratch.counts.reserve(distinct);
  compact_table_kernel<<<table_grid, block_threads, 0, stream>>>(scratch.table.data(), scratch.index.data(), alpha,
                                                                 scratch.colors.data(), scratch.counts.data());
  KMQ_CUDA_CHECK_LAUNCH("compact_table_kernel");
  scratch.order.reserve(count);
  map_through_table_kernel<<<grid, block_threads, 0, stream>>>(scratch.keys.data(), count, scratch.index.data(),
                                                               scratch.order.data());
  KMQ_CUDA_CHECK_LAUNCH("map_through_table_kernel");
  std::swap(scratch.keys, scratch.order);
  return true;
}

// The sort path. scratch.keys holds the pixels on entry and the pixel ->
// colour map on exit (queued on stream, not waited for).
std::size_t sorted_histogram(std::size_t count, histogram_scratch& scratch, cudaStream_t stream) {
  scratch.order.reserve(count);
  scratch.colors.reserve(count);
  scratch.counts.reserve(count);
  auto& keys = scratch.keys;
  auto& order = scratch.order;
  const std::size_t distinct = thrust_guard("histogram sort", [&] {
    // par.on(stream): on the backend's stream, and each algorithm waits for
    // it when it ends (reduce_by_key's count is read on the host anyway).
    const auto policy = thrust::cuda::par.on(stream);
    thrust::sequence(policy, order.data(), order.data() + count, std::uint32_t{0});
    thrust::sort_by_key(policy, keys.data(), keys.data() + count, order.data());
    const auto ends = thrust::reduce_by_key(policy, keys.data(), keys.data() + count,
                                            thrust::constant_iterator<std::uint32_t>(1u), scratch.colors.data(),
                                            scratch.counts.data());
    return static_cast<std::size_t>(ends.first - scratch.colors.data());
  });

  scratch.index.reserve(count);  // the run ranks
  auto* ranks = scratch.index.data();
  const unsigned grid = grid_for(count, block_threads);
  mark_run_heads<<<grid, block_threads, 0, stream>>>(keys.data(), count, ranks);
  KMQ_CUDA_CHECK_LAUNCH("mark_run_heads");
  thrust_guard("histogram scan",
               [&] { thrust::inclusive_scan(thrust::cuda::par.on(stream), ranks, ranks + count, ranks); });
  // The sorted keys are no longer needed: their buffer takes the map.
  scatter_colour_index<<<grid, block_threads, 0, stream>>>(order.data(), ranks, count, keys.data());
  KMQ_CUDA_CHECK_LAUNCH("scatter_colour_index");
  return distinct;
}

}  // namespace

color_histogram build_histogram(const packed_rgba* host_pixels, std::size_t count, histogram_scratch& scratch,
                                bool download_map, cudaStream_t stream) {
  if (count > std::numeric_limits<std::uint32_t>::max()) {
    throw error(error_kind::invalid_argument, "image has more than 2^32 - 1 pixels");
  }
  color_histogram histogram;
  if (count == 0) return histogram;

  // The pixels are the caller's: nothing may read them after a throw either.
  const stream_drain drain(stream);
  scratch.keys.upload(host_pixels, count, stream);
  std::size_t distinct = 0;
  std::uint32_t alpha = 0;
  const bool direct =
      count >= direct_histogram_min_pixels && direct_histogram(count, scratch, distinct, alpha, stream);
  if (!direct) distinct = sorted_histogram(count, scratch, stream);

  histogram.colors.resize(distinct);
  histogram.counts.resize(distinct);
  scratch.colors.download(histogram.colors.data(), distinct, stream);
  scratch.counts.download(histogram.counts.data(), distinct, stream);
  if (download_map) {
    histogram.pixel_to_color.resize(count);
    scratch.keys.download(histogram.pixel_to_color.data(), count, stream);
  }
  // The downloads waited for the stream, so the map left in scratch.keys,
  // queued before them, is complete too.
  return histogram;
}

}  // namespace kmq::cuda
