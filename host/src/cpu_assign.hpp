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

// Per-cluster sums of one chunk of points. In incremental passes they are
// differences (modulo 2^64: a point that leaves a cluster is subtracted), so
// the totals they are added to stay exact integers. On cache lines of its
// own: its counters change with every point, and a neighbour read by another
// thread would bounce between the cores (false sharing).
struct alignas(64) assign_accumulator {
  std::uint64_t* count;    // k
  std::uint64_t* sum;      // k * 4
  std::uint64_t* sq_norm;  // k
  std::uint64_t changed = 0;
  std::uint64_t scanned = 0;  // points the bounds left for a scan (of all centroids or a neighbour list)
};

// Hamerly's bounds, made safe for exact labels. upper[i] >= the true distance
// from point i to its centroid, lower[i] <= the true distance to every other
// centroid. When upper is below lower by more than any rounding of a computed
// squared distance could bridge, every other computed distance is strictly
// larger than the own one, so the full scan would return the same label and
// it is skipped. Labels and statistics are exactly those of the full scan.
struct hamerly_bounds {
  float* upper;          // per point
  float* lower;          // per point
  const float* moved;    // per cluster: how far its centroid moved since the last pass (rounded up)
  const float* shrink;   // per cluster a: the largest move of any other centroid (rounded up)
  bool valid = false;    // false: scan every point and sum from scratch (first pass, new k, palette labels)
  // With valid bounds: the centroids by distance from each centroid
  // (neighbour_order.hpp), so that a point's scan can stop early; null: full scans.
  const struct neighbour_order* neighbours = nullptr;
  // With valid bounds and K > 8 (near_moves(), neighbour_order.hpp), per
  // cluster a: the largest move among the other centroids of the first
  // block of a's list (rounded up), and at most the distance from a's
  // centroid to any centroid past that block. A point within `upper` of
  // its centroid is then beyond min(lower - near_shrink, beyond - upper) of
  // every other: late passes move the near centroids less than the farthest
  // mover (shrink), so fewer bounds fail. Null: Hamerly's shrink alone.
  const float* near_shrink = nullptr;
  const float* beyond = nullptr;
};

// Assigns points [begin, end) to their nearest centroid (ties: lowest index)
// and updates labels. With valid bounds, out receives only the changes of the
// points that moved (to be added to the last pass's totals); without, the
// statistics of every point.
void assign_points(const packed_rgba* points, const std::uint32_t* weights, std::uint32_t* labels, std::size_t begin,
                   std::size_t end, const centroid_planes& centroids, const hamerly_bounds& bounds,
                   assign_accumulator& out);

// The point of [begin, end) farthest from its labelled centroid (ties: the
// lowest index), and that computed squared distance; distance -1 when empty.
void find_farthest(const packed_rgba* points, const std::uint32_t* labels, std::size_t begin, std::size_t end,
                    const centroid_planes& centroids, float& distance, std::uint32_t& index);

// A palette by channel as integers, with palette_distance()'s alpha penalty
// per entry for an opaque point, a transparent one and any other; padded to
// a multiple of centroid_lanes with entries no point is nearest.
struct palette_planes {
  alignas(64) std::int32_t channel[channels][max_colors];
  alignas(64) std::int32_t penalty_opaque[max_colors];
  alignas(64) std::int32_t penalty_clear[max_colors];
  alignas(64) std::int32_t penalty_other[max_colors];
  int count = 0;
  int padded_count = 0;
};
palette_planes make_palette_planes(const packed_rgba* palette, int count);

// labels[i] for i in [begin, end): the entry of least palette_distance() to
// points[i], ties to the lowest index.
void nearest_palette_entries(const packed_rgba* points, std::size_t begin, std::size_t end, const palette_planes& palette,
                             std::uint32_t* labels);

// sum over [begin, end) of weight * min(distance, squared_distance(point, candidate)),
// for each candidate.
void candidate_potentials(const packed_rgba* points, const std::uint32_t* weights, const std::uint32_t* distance,
                          std::size_t begin, std::size_t end, const packed_rgba* candidates, int count,
                          std::uint64_t* potentials);

}  // namespace kmq::detail
