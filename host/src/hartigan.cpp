// Hartigan's method on the host. Per sweep: each cluster's nearest other
// centroids are the candidates for its points (a point worth moving sits on
// the border with one of them); then every point in order is moved to the
// candidate with the most negative change, the two means updated at once.
#include "hartigan.hpp"

#include <algorithm>
#include <numeric>

#include "kmq/error.hpp"

namespace kmq::detail {
namespace {

struct cluster_sums {
  std::vector<std::uint64_t> weight;  // k
  std::vector<std::int64_t> sum;      // k * 4
  std::vector<double> mean;           // k * 4, sum / weight, refreshed on every change

  explicit cluster_sums(int k)
      : weight(static_cast<std::size_t>(k), 0), sum(static_cast<std::size_t>(k) * channels, 0),
        mean(static_cast<std::size_t>(k) * channels, 0.0) {}

  void add(std::uint32_t j, packed_rgba x, std::int64_t w) {
    weight[j] = static_cast<std::uint64_t>(static_cast<std::int64_t>(weight[j]) + w);
    for (int c = 0; c < channels; ++c) sum[std::size_t{j} * channels + c] += w * static_cast<std::int64_t>(channel_of(x, c));
    refresh(j);
  }
  void refresh(std::uint32_t j) {
    for (int c = 0; c < channels; ++c) {
      mean[std::size_t{j} * channels + c] =
          weight[j] == 0 ? 0.0 : static_cast<double>(sum[std::size_t{j} * channels + c]) / static_cast<double>(weight[j]);
    }
  }
  double distance(std::uint32_t j, packed_rgba x) const {
    double total = 0.0;
    for (int c = 0; c < channels; ++c) {
      const double d = static_cast<double>(channel_of(x, c)) - mean[std::size_t{j} * channels + c];
      total = total + d * d;
    }
    return total;
  }
};

// For each cluster, up to `count` other non-empty clusters by distance between
// means (ties: lower index).
std::vector<std::uint32_t> nearest_clusters(const cluster_sums& sums, int k, int count) {
  std::vector<std::uint32_t> near(static_cast<std::size_t>(k) * count, 0);
  std::vector<std::pair<double, std::uint32_t>> order;
  for (int a = 0; a < k; ++a) {
    order.clear();
    for (int b = 0; b < k; ++b) {
      if (b == a || sums.weight[static_cast<std::size_t>(b)] == 0) continue;
      double total = 0.0;
      for (int c = 0; c < channels; ++c) {
        const double d = sums.mean[static_cast<std::size_t>(a) * channels + c] - sums.mean[static_cast<std::size_t>(b) * channels + c];
        total = total + d * d;
      }
      order.emplace_back(total, static_cast<std::uint32_t>(b));
    }
    const std::size_t keep = std::min<std::size_t>(order.size(), static_cast<std::size_t>(count));
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(keep), order.end());
    for (std::size_t i = 0; i < static_cast<std::size_t>(count); ++i) {
      // Fewer than count others: repeat the cluster itself, which is never a move.
      near[static_cast<std::size_t>(a) * count + i] = i < keep ? order[i].second : static_cast<std::uint32_t>(a);
    }
  }
  return near;
}

}  // namespace

hartigan_outcome hartigan_refine(const std::vector<packed_rgba>& points, const std::vector<std::uint32_t>& weights,
                                 std::vector<std::uint32_t>& labels, int k, const hartigan_params& params) {
  if (points.size() != weights.size() || points.size() != labels.size() || k < 1) {
    throw error(error_kind::internal, "hartigan_refine: points, weights and labels differ in size");
  }
  cluster_sums sums(k);
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (labels[i] >= static_cast<std::uint32_t>(k)) throw error(error_kind::internal, "hartigan_refine: label out of range");
    const std::uint32_t j = labels[i];
    sums.weight[j] += weights[i];
    for (int c = 0; c < channels; ++c) sums.sum[std::size_t{j} * channels + c] += std::int64_t{weights[i]} * channel_of(points[i], c);
  }
  for (int j = 0; j < k; ++j) sums.refresh(static_cast<std::uint32_t>(j));

  hartigan_outcome outcome;
  const int count = std::max(1, std::min(params.candidates, k - 1));
  for (int sweep = 0; sweep < params.max_sweeps && k > 1; ++sweep) {
    const std::vector<std::uint32_t> near = nearest_clusters(sums, k, count);
    std::uint64_t moved = 0;
    for (std::size_t i = 0; i < points.size(); ++i) {
      const std::uint32_t from = labels[i];
      const double w = weights[i];
      const double n_from = static_cast<double>(sums.weight[from]);
      if (sums.weight[from] <= weights[i]) continue;  // its cluster's only member: moving would empty it
      const double leave = w * n_from / (n_from - w) * sums.distance(from, points[i]);
      double best = leave;
      std::uint32_t to = from;
      for (int c = 0; c < count; ++c) {
        const std::uint32_t j = near[std::size_t{from} * count + c];
        if (j == from) continue;
        const double n_j = static_cast<double>(sums.weight[j]);
        const double join = w * n_j / (n_j + w) * sums.distance(j, points[i]);
        if (join < best) {
          best = join;
          to = j;
        }
      }
      // A margin well above double rounding of these sums: a move is made
      // only where it lowers the error for certain, so no sweep can cycle.
      if (to == from || !(best < leave * (1.0 - 1e-9))) continue;
      sums.add(from, points[i], -std::int64_t{weights[i]});
      sums.add(to, points[i], std::int64_t{weights[i]});
      labels[i] = to;
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
  cluster_sums sums(k);
  for (std::size_t i = 0; i < points.size(); ++i) sums.add(labels[i], points[i], weights[i]);
  double total = 0.0;
  for (std::size_t i = 0; i < points.size(); ++i) total += weights[i] * sums.distance(labels[i], points[i]);
  return total;
}

}  // namespace kmq::detail
