// The colour histogram on the device: radix-sort (colour, pixel) pairs, run
// lengths give the distinct colours and their counts, and a scan of the run
// heads gives every pixel its colour's index.
//
// Exactly build_color_histogram(): colours come out ascending by packed key,
// counts are integers, and the pixel -> colour map does not depend on the
// order of equal keys (the radix sort is stable anyway).
#include <thrust/execution_policy.h>
#include <thrust/iterator/constant_iterator.h>
#include <thrust/reduce.h>
#include <thrust/scan.h>
#include <thrust/sequence.h>
#include <thrust/sort.h>

#include <limits>

#include "device_buffer.cuh"
#include "kernels.cuh"
#include "thrust_guard.cuh"

namespace kmq::cuda {
namespace {

constexpr unsigned block_threads = 256;

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

color_histogram build_histogram(const packed_rgba* host_pixels, std::size_t count) {
  if (count > std::numeric_limits<std::uint32_t>::max()) {
    throw error(error_kind::invalid_argument, "image has more than 2^32 - 1 pixels");
  }
  color_histogram histogram;
  if (count == 0) return histogram;

  device_buffer<std::uint32_t> keys(count);   // colours, sorted; later the pixel -> colour map
  device_buffer<std::uint32_t> order(count);  // pixel index of each sorted key
  device_buffer<std::uint32_t> colors(count);
  device_buffer<std::uint32_t> counts(count);
  keys.upload(host_pixels, count);

  const std::size_t distinct = thrust_guard("histogram sort", [&] {
    const auto policy = thrust::cuda::par;
    thrust::sequence(policy, order.data(), order.data() + count, std::uint32_t{0});
    thrust::sort_by_key(policy, keys.data(), keys.data() + count, order.data());
    const auto ends = thrust::reduce_by_key(policy, keys.data(), keys.data() + count,
                                            thrust::constant_iterator<std::uint32_t>(1u), colors.data(),
                                            counts.data());
    return static_cast<std::size_t>(ends.first - colors.data());
  });

  {
    device_buffer<std::uint32_t> ranks(count);
    const unsigned grid = grid_for(count, block_threads);
    mark_run_heads<<<grid, block_threads>>>(keys.data(), count, ranks.data());
    KMQ_CUDA_CHECK_LAUNCH("mark_run_heads");
    thrust_guard("histogram scan", [&] {
      thrust::inclusive_scan(thrust::cuda::par, ranks.data(), ranks.data() + count, ranks.data());
    });
    // The sorted keys are no longer needed: their buffer takes the map.
    scatter_colour_index<<<grid, block_threads>>>(order.data(), ranks.data(), count, keys.data());
    KMQ_CUDA_CHECK_LAUNCH("scatter_colour_index");
  }

  histogram.colors.resize(distinct);
  histogram.counts.resize(distinct);
  histogram.pixel_to_color.resize(count);
  colors.download(histogram.colors.data(), distinct);
  counts.download(histogram.counts.data(), distinct);
  keys.download(histogram.pixel_to_color.data(), count);
  return histogram;
}

}  // namespace kmq::cuda
