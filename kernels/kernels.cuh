// The CUDA backend's passes, one file each, as host functions over device
// pointers. Each takes the stream to queue its work on (the backend's own,
// non-blocking stream: nothing here uses the legacy default stream) and
// returns once that work is queued; a pass that returns host values waits for
// the stream first (build_histogram, and the Thrust calls, which synchronise
// their stream when they finish).
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "device_buffer.cuh"
#include "kmq/backend.hpp"
#include "kmq/color_histogram.hpp"

namespace kmq::cuda {

// Grid for a grid-stride loop over n items: one item per thread up to a cap
// that keeps every multiprocessor busy without billions of tiny blocks.
inline unsigned grid_for(std::size_t n, unsigned block) {
  constexpr std::size_t max_blocks = std::size_t{1} << 16;
  const std::size_t blocks = (n + block - 1) / block;
  return static_cast<unsigned>(blocks < 1 ? 1 : (blocks > max_blocks ? max_blocks : blocks));
}

// histogram.cu: equals build_color_histogram() exactly. The scratch buffers
// are kept between calls (a batch of photos allocates once).
struct histogram_scratch {
  device_buffer<std::uint32_t> keys, order, colors, counts;
  device_buffer<std::uint32_t> table, index;  // 2^24 each on the direct path; ranks on the sort path
  device_buffer<unsigned char> temp;          // the scan's scratch
  device_buffer<unsigned> words;              // the alpha range
};
// Below this many pixels the sort beats clearing and scanning a 2^24 table.
constexpr std::size_t direct_histogram_min_pixels = std::size_t{1} << 18;
// Without download_map, pixel_to_color stays empty and the map is left in
// scratch.keys (count words) until the next call.
color_histogram build_histogram(const packed_rgba* host_pixels, std::size_t count, histogram_scratch& scratch,
                                bool download_map, cudaStream_t stream);

// assign_reduce.cu. accumulators holds 6k + 2 words laid out as
//   [0, k) count | [k, 5k) channel sums, cluster-major | [5k, 6k) sq_norm |
//   [6k] changed | [6k + 1] farthest key = float bits << 32 | ~index
// and must be zero on entry. labels are read (to count changes) and written.
constexpr int assign_block_threads = 256;
int assign_reduce_occupancy();  // resident blocks per multiprocessor
void assign_reduce(const packed_rgba* points, const std::uint32_t* weights, std::uint32_t* labels, std::size_t n,
                   const float* centroids, int k, std::uint64_t* accumulators, int grid, cudaStream_t stream);

// seeding.cu. distance[i] = D(i); potential (one word, zeroed here) receives
// sum weight * D after the update.
void seed_update(const packed_rgba* points, const std::uint32_t* weights, std::uint32_t* distance, std::size_t n,
                 packed_rgba centre, bool first, std::uint64_t* potential, cudaStream_t stream);
// prefix[i] = sum over j <= i of weight * D (scratch: n words).
void seed_prefix(const std::uint32_t* weights, const std::uint32_t* distance, std::size_t n, std::uint64_t* prefix,
                 cudaStream_t stream);
// out[t] = smallest i with prefix[i] > targets[t], or n when there is none.
void seed_search(const std::uint64_t* prefix, std::size_t n, const std::uint64_t* targets, int count,
                 std::uint32_t* out, cudaStream_t stream);
constexpr int max_candidates_per_pass = 16;
// potentials[c] = sum weight * min(D, |x - candidates[c]|^2), count <= max_candidates_per_pass;
// candidates in device memory; potentials (count words) are zeroed here.
void seed_candidates(const packed_rgba* points, const std::uint32_t* weights, const std::uint32_t* distance,
                     std::size_t n, const packed_rgba* candidates, int count, std::uint64_t* potentials,
                     cudaStream_t stream);

// The greedy k-means++ loop on the device (backend::seed_greedy). One step:
// select (block t draws the step's targets with the host's generator class
// and finds target t's point from per-chunk sums of weight * D), candidate
// potentials, update (D takes in the best candidate; chunk sums anew). Every
// step reads and writes its state in device memory, so the steps can be
// enqueued (or replayed from a CUDA graph) without a host round trip.
struct greedy_state {
  enum : int { ok = 0, no_potential = 1, target_beyond_potential = 2 };
  unsigned long long rng;        // seeded_random::state() before this step's draws
  unsigned long long potential;  // sum weight * D now
  unsigned long long candidate_potential[max_candidates_per_pass];
  std::uint32_t candidate[max_candidates_per_pass];
  std::uint32_t step;            // index in centres of the next centre
  int failed;                    // ok, or why the loop stopped
};
constexpr std::size_t greedy_chunk_points = 2048;
struct greedy_loop {
  const packed_rgba* points;
  const std::uint32_t* weights;
  std::uint32_t* distance;    // D, updated in place
  std::uint64_t* chunk_sums;  // greedy_chunk_count(n) words
  std::size_t n;
  greedy_state* state;
  std::uint32_t* centres;     // k words; the update writes centres[state->step]
  int trials;                 // <= max_candidates_per_pass
};
std::size_t greedy_chunk_count(std::size_t n);
// The chunk sums of the current D, before the first step.
cudaError_t greedy_prepare(const greedy_loop& loop, cudaStream_t stream);
// One step's launches on stream; returns the first launch error (no throw, so
// that it can run under stream capture).
cudaError_t greedy_enqueue_step(const greedy_loop& loop, cudaStream_t stream);

// palette_map.cu. labels[i] = nearest palette entry by exact integer distance,
// ties to the lowest index; count in [1, max_colors].
void assign_palette(const packed_rgba* points, std::size_t n, const packed_rgba* palette, int count,
                    std::uint32_t* labels, cudaStream_t stream);
// out[p] = labels[pixel_to_point[p]] truncated to 8 bits (0 where the map
// points past the n points).
void gather_labels(const std::uint32_t* labels, std::size_t n, const std::uint32_t* pixel_to_point,
                   std::size_t pixel_count, std::uint8_t* out, cudaStream_t stream);

// The exact integer squared distance of pixels.hpp, on the device: per-byte
// absolute differences, then a byte dot product (all four fit 32 bits).
__device__ __forceinline__ std::uint32_t squared_distance_dev(std::uint32_t x, std::uint32_t y) {
  const unsigned diff = __vabsdiffu4(x, y);
  return __dp4a(diff, diff, 0u);
}

// kmq::palette_distance (pixels.hpp) on the device: the same penalty when a
// fully opaque or fully transparent colour meets an entry of another alpha.
__device__ __forceinline__ std::uint32_t palette_distance_dev(std::uint32_t x, std::uint32_t entry) {
  const std::uint32_t a = x >> 24, e = entry >> 24;
  const bool crosses = (a == 255u && e != 255u) || (a == 0u && e != 0u);
  return squared_distance_dev(x, entry) + (crosses ? alpha_class_penalty : 0u);
}

}  // namespace kmq::cuda
