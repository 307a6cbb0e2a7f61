// The CPU backend's inner loops, built for several instruction sets: each
// clone does the same IEEE operations in the same order, so they agree bit for
// bit; only how many clusters are compared at once differs.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kmq/backend.hpp"

namespace kmq::detail {

// Centroids by channel, padded to a multiple of centroid_lanes with centres
// at +infinity (their distance is +inf and never wins).
constexpr int centroid_lanes = 8;
struct centroid_planes {
  alignas(64) float channel[channels][max_colors];
  int k = 0;
  int padded_k = 0;
};
centroid_planes make_centroid_planes(const float* centroids, int k);

struct assign_accumulator {
  std::uint64_t* count;    // k
  std::uint64_t* sum;      // k * 4
  std::uint64_t* sq_norm;  // k
  std::uint64_t changed = 0;
  float farthest_distance = -1.0f;
  std::uint32_t farthest = 0;
};

// Hamerly's bound, made safe for exact labels: lower[i] <= the true distance
// from point i to every centroid but its own. When the distance to its own,
// as computed, is below that bound by more than any rounding could bridge,
// every other computed distance is strictly larger, so the full scan would
// return the same label: the scan is skipped. Labels, statistics and the
// farthest point are exactly those of the full scan.
struct lower_bounds {
  float* lower;              // per point; written on every pass
  const double* shrink;      // per cluster a: how far any other centroid moved since the last pass
  bool valid = false;        // false: scan every point (first pass, new k, palette labels)
};

// Assigns points [begin, end) to their nearest centroid (ties: lowest index),
// updates labels and accumulates the weighted statistics.
void assign_points(const packed_rgba* points, const std::uint32_t* weights, std::uint32_t* labels, std::size_t begin,
                   std::size_t end, const centroid_planes& centroids, const lower_bounds& bounds,
                   assign_accumulator& out);

// sum over [begin, end) of weight * min(distance, squared_distance(point, candidate)),
// for each candidate.
void candidate_potentials(const packed_rgba* points, const std::uint32_t* weights, const std::uint32_t* distance,
                          std::size_t begin, std::size_t end, const packed_rgba* candidates, int count,
                          std::uint64_t* potentials);

}  // namespace kmq::detail
