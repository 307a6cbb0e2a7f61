// Hartigan's method on the host. Per sweep: each cluster's nearest other
// centroids are the candidates for its points (a point worth moving sits on
// the border with one of them); then every point in order is moved to the
// candidate with the most negative change, the two means updated at once.
#include "hartigan.hpp"

#include <algorithm>
#include <numeric>

#include "kmq/error.hpp"
#include "join_filter.hpp"
#include "partition_sums.hpp"
#include "target_clones.hpp"

namespace kmq::detail {
namespace {

// For each cluster, up to `count` other non-empty clusters by distance between
// means (ties: lower index); fewer than count others: the cluster itself
// fills the row, which is never a move.
std::vector<std::uint32_t> nearest_clusters(const partition& sums, int k, int count) {
  std::vector<std::uint32_t> near(static_cast<std::size_t>(k) * count, 0);
  for (int a = 0; a < k; ++a) {
    const std::vector<std::uint32_t> found = nearest_of(sums, static_cast<std::uint32_t>(a), count);
    for (std::size_t i = 0; i < static_cast<std::size_t>(count); ++i) {
      near[static_cast<std::size_t>(a) * count + i] = i < found.size() ? found[i] : static_cast<std::uint32_t>(a);
    }
  }
  return near;
}

}  // namespace

// The sweeps are most of the refinement's time; the AVX2 clone's take ~10 %
// less (bench/NOTES.md, round 14).
KMQ_CLONES
hartigan_outcome hartigan_refine(const std::vector<packed_rgba>& points, const std::vector<std::uint32_t>& weights,
                                 std::vector<std::uint32_t>& labels, int k, const hartigan_params& params) {
  if (points.size() != weights.size() || points.size() != labels.size() || k < 1) {
    throw error(error_kind::internal, "hartigan_refine: points, weights and labels differ in size");
  }
  partition sums(k);
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (labels[i] >= static_cast<std::uint32_t>(k)) throw error(error_kind::internal, "hartigan_refine: label out of range");
    sums.add(labels[i], points[i], std::int64_t{weights[i]});
  }

  hartigan_outcome outcome;
  const int count = std::max(1, std::min(params.candidates, k - 1));
  for (int sweep = 0; sweep < params.max_sweeps && k > 1; ++sweep) {
    const std::vector<std::uint32_t> near = nearest_clusters(sums, k, count);
    join_filter filter(sums, near, count);
    std::uint64_t moved = 0;
    for (std::size_t i = 0; i < points.size(); ++i) {
      const std::uint32_t from = labels[i];
      const double w = weights[i];
      const double n_from = static_cast<double>(sums.weight[from]);
      if (sums.weight[from] <= weights[i]) continue;  // its cluster's only member: moving would empty it
      if (!filter.any_may_join(from, points[i], w, n_from)) continue;
      const double own = sums.distance(from, points[i]);
      const double leave = w * n_from / (n_from - w) * own;
      double best = leave;
      const std::uint32_t* candidates = near.data() + std::size_t{from} * count;
      const std::uint32_t to = sums.cheapest_join(candidates, candidates + count, from, points[i], w, best);
      // A margin well above double rounding of these sums: a move is made
      // only where it lowers the error for certain, so no sweep can cycle.
      if (to == from || !(best < leave * (1.0 - 1e-9))) continue;
      sums.add(from, points[i], -std::int64_t{weights[i]});
      sums.add(to, points[i], std::int64_t{weights[i]});
      labels[i] = to;
      filter.refresh(sums, from, to);
      ++moved;
    }
    outcome.sweeps = sweep + 1;
    outcome.moves += moved;
    if (moved == 0) break;
  }
  for (int j = 0; j < k; ++j) {
    if (sums.weight[static_cast<std::size_t>(j)] == 0) continue;
    for (int c = 0; c < channels; ++c) outcome.centroids.push_back(static_cast<float>(sums.mean[static_cast<std::size_t>(j) * channels + c]));
  }
  return outcome;
}

double partition_wcss(const std::vector<packed_rgba>& points, const std::vector<std::uint32_t>& weights,
                      const std::vector<std::uint32_t>& labels, int k) {
  partition sums(k);
  for (std::size_t i = 0; i < points.size(); ++i) sums.add(labels[i], points[i], weights[i]);
  double total = 0.0;
  for (std::size_t i = 0; i < points.size(); ++i) total += weights[i] * sums.distance(labels[i], points[i]);
  return total;
}

}  // namespace kmq::detail
