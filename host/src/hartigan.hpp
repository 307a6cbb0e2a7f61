// Hartigan's method over weighted points, after Lloyd's iterations: a point
// moves to another cluster when the exact change in the error says so, which
// lets it leave Lloyd's fixed points (where every point is nearest its own
// centroid yet the error can still fall). Sequential, in point order, on the
// host: the same input gives the same bits on any thread count and after
// either backend's Lloyd passes.
#pragma once
#include <cstdint>
#include <vector>

#include "kmq/pixels.hpp"

namespace kmq::detail {

struct hartigan_params {
  int max_sweeps = 8;    // passes over every point; each stops early when nothing moved
  int candidates = 8;    // clusters tried per point: the ones whose centroids are nearest its own
};

struct hartigan_outcome {
  std::vector<float> centroids;  // 4 per non-empty cluster, in cluster order: its mean, rounded once to float
  int sweeps = 0;
  std::uint64_t moves = 0;
};

// labels[i] in [0, k): the partition to start from (updated in place). The
// weighted error of the partition against its means never rises, move by move:
// moving point x (weight w) from cluster a (weight n_a > w) to b changes it by
// w n_b/(n_b+w) |x-m_b|^2 - w n_a/(n_a-w) |x-m_a|^2, and a move is made only
// when that is negative. Cluster sums are integers; the change is computed in
// double in a fixed order, so the result is exact to reproduce.
hartigan_outcome hartigan_refine(const std::vector<packed_rgba>& points, const std::vector<std::uint32_t>& weights,
                                 std::vector<std::uint32_t>& labels, int k, const hartigan_params& params);

// The weighted error of a partition against its means (for tests and notes).
double partition_wcss(const std::vector<packed_rgba>& points, const std::vector<std::uint32_t>& weights,
                      const std::vector<std::uint32_t>& labels, int k);

}  // namespace kmq::detail
