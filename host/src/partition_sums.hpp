// A partition of weighted colours as exact integer sums (weight, channel sums,
// sums of squared norms per cluster), with the questions the swap step asks
// of it: a cluster's error, the clusters nearest one, a cluster cut in two.
#pragma once
#include <cstdint>
#include <vector>

#include "kmq/pixels.hpp"

namespace kmq::detail {

__extension__ typedef unsigned __int128 wide;  // GCC and Clang; -Wpedantic knows it is not ISO

struct partition {
  std::vector<std::uint64_t> weight;  // k
  std::vector<std::int64_t> sum;      // k * 4
  std::vector<std::uint64_t> square;  // k: weighted sum of squared norms
  std::vector<double> mean;           // k * 4

  explicit partition(int k)
      : weight(static_cast<std::size_t>(k), 0), sum(static_cast<std::size_t>(k) * channels, 0),
        square(static_cast<std::size_t>(k), 0), mean(static_cast<std::size_t>(k) * channels, 0.0) {}

  int k() const { return static_cast<int>(weight.size()); }

  void add(std::uint32_t j, packed_rgba x, std::int64_t w) {
    weight[j] = static_cast<std::uint64_t>(static_cast<std::int64_t>(weight[j]) + w);
    square[j] = static_cast<std::uint64_t>(static_cast<std::int64_t>(square[j]) + w * squared_norm(x));
    for (int c = 0; c < channels; ++c) sum[std::size_t{j} * channels + c] += w * static_cast<std::int64_t>(channel_of(x, c));
    refresh(j);
  }
  void refresh(std::uint32_t j) {
    for (int c = 0; c < channels; ++c) {
      mean[std::size_t{j} * channels + c] =
          weight[j] == 0 ? 0.0 : static_cast<double>(sum[std::size_t{j} * channels + c]) / static_cast<double>(weight[j]);
    }
  }
  // The cluster's error against its mean, (W Q - |S|^2) / W with the
  // numerator exact.
  double error(std::uint32_t j) const {
    if (weight[j] == 0) return 0.0;
    wide squares = 0;
    for (int c = 0; c < channels; ++c) {
      const auto s = static_cast<wide>(sum[std::size_t{j} * channels + c]);
      squares += s * s;
    }
    const wide numerator = static_cast<wide>(weight[j]) * square[j] - squares;
    return static_cast<double>(numerator) / static_cast<double>(weight[j]);
  }
  double total() const {
    double t = 0.0;
    for (int j = 0; j < k(); ++j) t += error(static_cast<std::uint32_t>(j));
    return t;
  }
  double distance(std::uint32_t j, packed_rgba x) const {
    double total = 0.0;
    for (int c = 0; c < channels; ++c) {
      const double d = static_cast<double>(channel_of(x, c)) - mean[std::size_t{j} * channels + c];
      total = total + d * d;
    }
    return total;
  }
  // Hartigan's move for x (weight w, now in cluster from): of the candidate
  // clusters [first, last), from itself skipped, the one whose exact rise in
  // error on taking x, n_j / (n_j + w) * w * d^2, is lowest and below best
  // (lowered to it); from when none is.
  template <typename Candidate>
  std::uint32_t cheapest_join(Candidate first, Candidate last, std::uint32_t from, packed_rgba x, double w,
                              double& best) const {
    std::uint32_t to = from;
    // Most candidates cost more than best for certain: w n_j d^2 above
    // best (n_j + w) by more than the roundings of both sides (a few 2^-53)
    // could bridge. That test needs no division, and a division per candidate
    // was most of a sweep's time.
    const double cap = best * (1.0 + 1e-9);
    for (; first != last; ++first) {
      const std::uint32_t j = *first;
      if (j == from) continue;
      const double n_j = static_cast<double>(weight[j]);
      const double d = distance(j, x);
      if (w * n_j * d > cap * (n_j + w)) continue;
      const double join = w * n_j / (n_j + w) * d;
      if (join < best) {
        best = join;
        to = j;
      }
    }
    return to;
  }
  double between(std::uint32_t a, std::uint32_t b) const {
    double total = 0.0;
    for (int c = 0; c < channels; ++c) {
      const double d = mean[std::size_t{a} * channels + c] - mean[std::size_t{b} * channels + c];
      total = total + d * d;
    }
    return total;
  }
};

// Up to `count` other non-empty clusters nearest cluster a (ties: lower index).
std::vector<std::uint32_t> nearest_of(const partition& p, std::uint32_t a, int count);

// A cluster cut in two: its members' sides (true: the second part) after
// a principal-axis cut refined by a few 2-means rounds, and the error gained.
struct split {
  double gain = 0.0;
  std::vector<char> side;
};

split split_cluster(const std::vector<packed_rgba>& points, const std::vector<std::uint32_t>& weights,
                    const std::vector<std::uint32_t>& members, const partition& p, std::uint32_t s);

// The weighted error of a partition against its means, from exact integer
// sums (the one the swap step decides by).
double partition_error(const std::vector<packed_rgba>& points, const std::vector<std::uint32_t>& weights,
                       const std::vector<std::uint32_t>& labels, int k);

}  // namespace kmq::detail
