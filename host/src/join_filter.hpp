// Which points of a Hartigan sweep need their candidates scanned at all. For
// each cluster, its candidates' means by channel and their weights sit side
// by side, so one vector pass over them tells whether any candidate could be
// cheaper to join than a cap; the exact scan (partition::cheapest_join, one
// division per candidate) then runs only for the few points where one could.
#pragma once
#include <cstdint>
#include <vector>

#include "partition_sums.hpp"

namespace kmq::detail {

class join_filter {
 public:
  // near: count candidates per cluster (the cluster itself fills a short row).
  join_filter(const partition& sums, const std::vector<std::uint32_t>& near, int count);

  // After a move: the means and weights of clusters a and b have changed.
  void refresh(const partition& sums, std::uint32_t a, std::uint32_t b);

  // false only when no candidate j of cluster `from` can be cheaper to join
  // than leaving is: w n_j/(n_j + w) |x - m_j|^2 >= w n_from/(n_from - w) own
  // for certain, own = |x - m_from|^2. Compared as n_j d_j (n_from - w) against
  // n_from own (n_j + w) (no division), with 1e-9 of room, far more than the
  // roundings of either side. Then cheapest_join would return `from`.
  bool any_may_join(std::uint32_t from, packed_rgba x, double w, double n_from, double own) const {
    // Two lanes: what SSE2, the baseline, holds; wider vectors built from it
    // go through memory and stall.
    typedef double lanes __attribute__((vector_size(2 * sizeof(double))));
    const double v0 = channel_of(x, 0), v1 = channel_of(x, 1), v2 = channel_of(x, 2), v3 = channel_of(x, 3);
    const lanes x0 = {v0, v0}, x1 = {v1, v1}, x2 = {v2, v2}, x3 = {v3, v3};
    const double stay = n_from * own * (1.0 + 1e-9);
    const lanes weight = {w, w}, rest = {n_from - w, n_from - w}, most = {stay, stay}, slack = {1e-9, 1e-9};
    const double* row = &mean_[std::size_t{from} * row_size_];
    const double* n = &weight_[std::size_t{from} * padded_];
    for (int j = 0; j < padded_; j += 2) {
      lanes m0, m1, m2, m3, nj;
      __builtin_memcpy(&m0, row + j, sizeof m0);
      __builtin_memcpy(&m1, row + padded_ + j, sizeof m1);
      __builtin_memcpy(&m2, row + 2 * padded_ + j, sizeof m2);
      __builtin_memcpy(&m3, row + 3 * padded_ + j, sizeof m3);
      __builtin_memcpy(&nj, n + j, sizeof nj);
      const lanes d0 = x0 - m0, d1 = x1 - m1, d2 = x2 - m2, d3 = x3 - m3;
      // Summed in another order than partition::distance: 1e-9 below it
      // covers that at any size (the two differ by ~1e-13).
      const lanes d = d0 * d0 + d1 * d1 + (d2 * d2 + d3 * d3) - slack;
      const auto may = nj * d * rest <= most * (nj + weight);
      if ((may[0] | may[1]) != 0) return true;
    }
    return false;
  }

 private:
  void fill(const partition& sums, std::size_t slot);

  int count_ = 0;
  int padded_ = 0;                          // count rounded up to 2 lanes
  std::size_t row_size_ = 0;                // channels * padded_
  std::vector<std::uint32_t> near_;         // count per cluster
  std::vector<double> mean_;                // per cluster: channel planes of padded_ candidate means
  std::vector<double> weight_;              // per cluster: padded_ candidate weights
  std::vector<std::vector<std::size_t>> slots_of_;  // per cluster: the slots (cluster * count + c) listing it
};

}  // namespace kmq::detail
