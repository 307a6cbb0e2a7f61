// The partition's questions (partition_sums.hpp).
#include "partition_sums.hpp"

#include <algorithm>
#include <cmath>

#include "kmq/error.hpp"

namespace kmq::detail {

std::vector<std::uint32_t> nearest_of(const partition& p, std::uint32_t a, int count) {
  std::vector<std::pair<double, std::uint32_t>> order;
  for (int b = 0; b < p.k(); ++b) {
    if (static_cast<std::uint32_t>(b) == a || p.weight[static_cast<std::size_t>(b)] == 0) continue;
    order.emplace_back(p.between(a, static_cast<std::uint32_t>(b)), static_cast<std::uint32_t>(b));
  }
  const std::size_t keep = std::min<std::size_t>(order.size(), static_cast<std::size_t>(count));
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(keep), order.end());
  std::vector<std::uint32_t> near(keep);
  for (std::size_t i = 0; i < keep; ++i) near[i] = order[i].second;
  return near;
}

split split_cluster(const std::vector<packed_rgba>& points, const std::vector<std::uint32_t>& weights,
                    const std::vector<std::uint32_t>& members, const partition& p, std::uint32_t s) {
  split out;
  if (members.size() < 2 || p.weight[s] == 0) return out;
  const double* m = &p.mean[std::size_t{s} * channels];
  double cov[channels][channels] = {};
  for (std::uint32_t i : members) {
    double d[channels];
    for (int c = 0; c < channels; ++c) d[c] = static_cast<double>(channel_of(points[i], c)) - m[c];
    const double w = weights[i];
    for (int a = 0; a < channels; ++a) {
      for (int b = 0; b < channels; ++b) cov[a][b] += w * d[a] * d[b];
    }
  }
  // Power iteration from a fixed start: the principal axis, to rounding.
  double axis[channels] = {1.0, 0.9, 0.8, 0.7};
  for (int round = 0; round < 24; ++round) {
    double next[channels] = {};
    double norm = 0.0;
    for (int a = 0; a < channels; ++a) {
      for (int b = 0; b < channels; ++b) next[a] += cov[a][b] * axis[b];
      norm += next[a] * next[a];
    }
    if (!(norm > 0.0)) return out;
    norm = std::sqrt(norm);
    for (int a = 0; a < channels; ++a) axis[a] = next[a] / norm;
  }
  out.side.assign(members.size(), 0);
  for (std::size_t n = 0; n < members.size(); ++n) {
    double projection = 0.0;
    for (int c = 0; c < channels; ++c) projection += (static_cast<double>(channel_of(points[members[n]], c)) - m[c]) * axis[c];
    out.side[n] = projection > 0.0 ? 1 : 0;
  }
  // Two-means rounds inside the cluster, on two scratch clusters.
  partition halves(2);
  const auto fill = [&] {
    halves = partition(2);
    for (std::size_t n = 0; n < members.size(); ++n) {
      halves.add(static_cast<std::uint32_t>(out.side[n]), points[members[n]], weights[members[n]]);
    }
  };
  fill();
  for (int round = 0; round < 4 && halves.weight[0] > 0 && halves.weight[1] > 0; ++round) {
    bool changed = false;
    for (std::size_t n = 0; n < members.size(); ++n) {
      const char side = halves.distance(1, points[members[n]]) < halves.distance(0, points[members[n]]) ? 1 : 0;
      changed = changed || side != out.side[n];
      out.side[n] = side;
    }
    if (!changed) break;
    fill();
  }
  if (halves.weight[0] == 0 || halves.weight[1] == 0) return split{};
  out.gain = p.error(s) - halves.error(0) - halves.error(1);
  return out;
}

double partition_error(const std::vector<packed_rgba>& points, const std::vector<std::uint32_t>& weights,
                       const std::vector<std::uint32_t>& labels, int k) {
  if (points.size() != weights.size() || points.size() != labels.size() || k < 1) {
    throw error(error_kind::internal, "partition_error: points, weights and labels differ in size");
  }
  partition p(k);
  for (std::size_t i = 0; i < points.size(); ++i) {
    const std::uint32_t j = labels[i];
    if (j >= static_cast<std::uint32_t>(k)) throw error(error_kind::internal, "partition_error: label out of range");
    p.weight[j] += weights[i];
    p.square[j] += std::uint64_t{weights[i]} * squared_norm(points[i]);
    for (int c = 0; c < channels; ++c) p.sum[std::size_t{j} * channels + c] += std::int64_t{weights[i]} * channel_of(points[i], c);
  }
  return p.total();  // from the sums alone: the means are not needed
}

}  // namespace kmq::detail
