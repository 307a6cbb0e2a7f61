// The CUDA backend's class, private to kernels/: the rest of the library sees
// only kmq::backend through cuda_backend.hpp.
//
// Streams: the backend owns one non-blocking stream, made in the constructor
// and destroyed (after draining it) in the destructor. Every pass, copy,
// memset, CUB and Thrust call of the backend is queued on it (FAISS style: the
// passes take it as a parameter), never on the legacy default stream, and it
// does not wait for other streams' work, nor they for it. The backend
// interface is synchronous: a call waits for the stream where the host needs a
// result (a download) and every public call returns with the stream drained,
// so one backend's device work never outlives the call that queued it.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "device_buffer.cuh"
#include "kernels.cuh"
#include "kmq/backend.hpp"

namespace kmq::cuda {

class cuda_backend final : public backend {
 public:
  // host_threads: for the host-side work beside the device (refinement and
  // polishing, which give the same result on any thread count).
  cuda_backend(int device_index, std::string device_name, int host_threads);
  ~cuda_backend() override;
  cuda_backend(const cuda_backend&) = delete;
  cuda_backend& operator=(const cuda_backend&) = delete;

  std::string name() const override { return "cuda"; }
  std::string device() const override { return device_name_; }
  int threads() const override { return host_threads_; }

  color_histogram histogram(const packed_rgba* pixels, std::size_t count) override;
  bool histogram_keeping_map(const packed_rgba* pixels, std::size_t count, color_histogram& out) override;

  void upload(const packed_rgba* points, const std::uint32_t* weights, std::size_t count) override;
  std::size_t size() const override { return size_; }

  void seed_begin(packed_rgba first_centre) override;
  void seed_add_centre(packed_rgba centre) override;
  std::uint64_t seed_potential() override { return potential_; }
  void seed_sample(const std::uint64_t* targets, int count, std::uint32_t* indices) override;
  void seed_candidate_potentials(const packed_rgba* candidates, int count, std::uint64_t* potentials) override;
  bool seed_greedy(seeded_random& random, int k, int trials, std::vector<packed_rgba>& centres) override;

  step_stats step(const float* centroids, int k) override;
  void assign_to_palette(const packed_rgba* palette, int count) override;
  std::vector<std::uint32_t> labels() override;
  void label_pixels(const std::uint32_t* pixel_to_point, std::size_t pixel_count, std::uint8_t* out) override;
  void label_kept_pixels(std::size_t pixel_count, std::uint8_t* out) override;

 private:
  void seed_update_with(packed_rgba centre, bool first);
  // out[p] = labels_[device_map[p]] as bytes, device_map in device memory.
  void label_through(const std::uint32_t* device_map, std::size_t pixel_count, std::uint8_t* out);

  int device_index_;
  std::string device_name_;
  int host_threads_ = 1;
  int assign_grid_ = 1;  // resident blocks of the fused pass on the whole device
  cudaStream_t stream_ = nullptr;  // owned; every call of this backend queues its work here

  std::size_t size_ = 0;
  device_buffer<packed_rgba> points_;
  device_buffer<std::uint32_t> weights_;
  device_buffer<std::uint32_t> labels_;
  device_buffer<std::uint32_t> distance_;  // seeding D(i)
  device_buffer<std::uint64_t> prefix_;    // running sums of weight * D, built on demand
  bool prefix_valid_ = false;
  std::uint64_t potential_ = 0;            // sum weight * D after the last seeding update

  device_buffer<float> centroids_;              // max_colors * 4
  device_buffer<std::uint64_t> accumulators_;   // 6 * max_colors + 2, see kernels.cuh
  device_buffer<std::uint64_t> small_u64_;      // seeding targets / potentials
  device_buffer<std::uint32_t> small_u32_;      // seeding sample indices
  // The greedy loop (greedy_loop.cu).
  device_buffer<std::uint64_t> chunk_sums_;     // weight * D per chunk of points
  device_buffer<greedy_state> greedy_state_;
  device_buffer<packed_rgba> centre_out_;
  histogram_scratch histogram_scratch_;
  // The pixel -> colour map histogram_keeping_map() left in histogram_scratch_.keys.
  std::size_t kept_map_pixels_ = 0;
  std::size_t kept_map_colors_ = 0;
};

}  // namespace kmq::cuda
