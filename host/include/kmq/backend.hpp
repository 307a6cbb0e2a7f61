// The backend seam: the host orchestrator (kmeans.hpp) owns the algorithm; a
// backend owns the points and does the per-point passes. Only K centroids and
// K statistics cross the boundary per iteration.
//
// Every result a backend returns is defined exactly (integers, or IEEE floats
// in a fixed order with no fused multiply-add, ties to the lowest index), so
// the CPU and CUDA backends return identical bits for the same calls.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kmq/color_histogram.hpp"
#include "kmq/error.hpp"
#include "kmq/pixels.hpp"
#include "kmq/quantize_params.hpp"
#include "kmq/random.hpp"

namespace kmq {

// What one assignment pass found: per-cluster sums over the points assigned to
// each cluster, weighted by the points' weights.
struct step_stats {
  std::vector<std::uint64_t> count;    // k: total weight
  std::vector<std::uint64_t> sum;      // k * 4: weighted channel sums, cluster-major
  std::vector<std::uint64_t> sq_norm;  // k: weighted sum of squared norms
  std::uint64_t changed = 0;           // points whose label differs from the last pass
  // Only when some cluster is empty (count 0), which is when the host needs a
  // point to restart it at; otherwise both are 0, so a backend may skip the search.
  std::uint32_t farthest = 0;          // point farthest from its centroid (ties: lowest index)
  float farthest_distance = 0.0f;      // its squared distance
};

// Squared distance from an integer colour to a float centroid, as every backend
// computes it: four differences, then ((d0*d0 + d1*d1) + d2*d2) + d3*d3, each
// operation rounded on its own (no FMA contraction).
inline float centroid_distance(packed_rgba x, const float* centroid) {
  const float d0 = static_cast<float>(channel_of(x, 0)) - centroid[0];
  const float d1 = static_cast<float>(channel_of(x, 1)) - centroid[1];
  const float d2 = static_cast<float>(channel_of(x, 2)) - centroid[2];
  const float d3 = static_cast<float>(channel_of(x, 3)) - centroid[3];
  float total = d0 * d0;
  total = total + d1 * d1;
  total = total + d2 * d2;
  total = total + d3 * d3;
  return total;
}

// The threads of runs side by side: while fewer runs are still going, each
// may use the threads the others left (total / runs going, at least its own).
// Results never depend on it: a pass's sums are integers, the same in any split.
struct thread_share {
  int total = 1;
  std::atomic<int> running{1};
  int threads_for(int own) const {
    const int going = running.load(std::memory_order_relaxed);
    return std::max(own, going > 0 ? total / going : total);
  }
};

class backend {
 public:
  virtual ~backend() = default;

  virtual std::string name() const = 0;    // "cpu" or "cuda"
  virtual std::string device() const = 0;  // what runs it, e.g. "8 threads" or the GPU's name
  virtual int threads() const = 0;         // host threads (the GPU's: for the host-side steps beside it)

  // Distinct colours of an image; must equal build_color_histogram() exactly.
  virtual color_histogram histogram(const packed_rgba* pixels, std::size_t count) = 0;
  // Optional: the same colours and counts, but the pixel -> colour map stays
  // with the backend (out.pixel_to_color comes back empty) until
  // label_kept_pixels() uses it: a GPU then never moves a word per pixel off
  // the device and back. Returns false, changing nothing, where it has no such path.
  virtual bool histogram_keeping_map(const packed_rgba* /*pixels*/, std::size_t /*count*/, color_histogram& /*out*/) {
    return false;
  }

  // Once per image: the points and their weights (weights >= 1). Resets labels
  // to "none", so the first step() counts every point as changed.
  virtual void upload(const packed_rgba* points, const std::uint32_t* weights, std::size_t count) = 0;
  virtual std::size_t size() const = 0;
  // Optional: a backend of the same kind on `threads` host threads that holds
  // the same uploaded points (shared, not copied) with labels ("none") and
  // seeding state of its own, so that k-means restarts can run side by side.
  // With a share, its passes may also use the threads of runs that have
  // ended (see thread_share). nullptr where the backend has no such path (a
  // GPU runs its restarts one after another).
  virtual std::unique_ptr<backend> fork(int /*threads*/, std::shared_ptr<const thread_share> /*share*/ = nullptr) {
    return nullptr;
  }

  // k-means++ seeding state: D(i) = the smallest integer squared distance from
  // point i to any centre chosen so far; potential = sum of weight(i) * D(i).
  virtual void seed_begin(packed_rgba first_centre) = 0;
  virtual void seed_add_centre(packed_rgba centre) = 0;
  virtual std::uint64_t seed_potential() = 0;
  // For each target t in [0, potential): the smallest i whose prefix sum of
  // weight * D through i exceeds t. Points with D = 0 are never returned.
  virtual void seed_sample(const std::uint64_t* targets, int count, std::uint32_t* indices) = 0;
  // For each candidate c: the potential if c were added as a centre.
  virtual void seed_candidate_potentials(const packed_rgba* candidates, int count, std::uint64_t* potentials) = 0;
  // Optional: greedy k-means++ after seed_begin(centres[0]), every remaining
  // step in one call, for a backend whose round trip per step costs more than
  // the step. Must append exactly the centres of the step-by-step loop in
  // seed_centres() (targets random.below(potential), trials candidates each,
  // the lowest potential kept, ties to the first) and leave random where that
  // loop would. Returns false, changing nothing, where it has no such path.
  virtual bool seed_greedy(seeded_random& /*random*/, int /*k*/, int /*trials*/, std::vector<packed_rgba>& /*centres*/) {
    return false;
  }

  // One Lloyd assignment pass against k float centroids (k * 4 floats).
  virtual step_stats step(const float* centroids, int k) = 0;

  // Final assignment: each point to the nearest palette colour by exact integer
  // distance, ties to the lowest index. Replaces the labels.
  virtual void assign_to_palette(const packed_rgba* palette, int count) = 0;

  virtual std::vector<std::uint32_t> labels() = 0;

  // out[p] = labels()[pixel_to_point[p]] for every pixel: the image's label map.
  virtual void label_pixels(const std::uint32_t* pixel_to_point, std::size_t pixel_count, std::uint8_t* out) = 0;
  // The same through the map histogram_keeping_map() kept, the uploaded points
  // being that histogram's colours. Only after it returned true.
  virtual void label_kept_pixels(std::size_t /*pixel_count*/, std::uint8_t* /*out*/) {
    throw error(error_kind::internal, "label_kept_pixels: this backend keeps no pixel map");
  }

  // Which image the backend's points and kept map belong to, and which
  // palette its labels: analyse_colors() takes a new image number, quantize()
  // a new labels number, and quantize() and remap() read the state only while
  // the numbers are still theirs.
  std::uint64_t image_serial() const { return image_serial_; }
  std::uint64_t begin_image() { return ++image_serial_; }
  std::uint64_t labels_serial() const { return labels_serial_; }
  std::uint64_t begin_labels() { return ++labels_serial_; }

 private:
  std::uint64_t image_serial_ = 0;
  std::uint64_t labels_serial_ = 0;
};

}  // namespace kmq
