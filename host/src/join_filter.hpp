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
  // n_from own (n_j + w) (no division), in float: d_j is taken 0.04 lower
  // than computed and own 0.04 higher, and the right side 1e-5 higher, more
  // than the roundings of the means to float and of the arithmetic could
  // bridge (at most 0.032 and a few 1e-7). Then cheapest_join would return
  // `from`. The exact own distance (double) is left to the few that pass.
  bool any_may_join(std::uint32_t from, packed_rgba x, double w, double n_from) const {
    // Four float lanes: what SSE2, the baseline, holds; wider vectors built
    // from it go through memory and stall.
    typedef float lanes __attribute__((vector_size(4 * sizeof(float))));
    const float v0 = static_cast<float>(channel_of(x, 0)), v1 = static_cast<float>(channel_of(x, 1));
    const float v2 = static_cast<float>(channel_of(x, 2)), v3 = static_cast<float>(channel_of(x, 3));
    const lanes x0 = {v0, v0, v0, v0}, x1 = {v1, v1, v1, v1}, x2 = {v2, v2, v2, v2}, x3 = {v3, v3, v3, v3};
    const float* mine = &own_mean_[std::size_t{from} * channels];
    const float e0 = v0 - mine[0], e1 = v1 - mine[1], e2 = v2 - mine[2], e3 = v3 - mine[3];
    const float own = (e0 * e0 + e1 * e1 + (e2 * e2 + e3 * e3)) * (1.0f + 1e-6f) + 0.04f;
    const float r = static_cast<float>(n_from - w), m = static_cast<float>(n_from) * own * (1.0f + 1e-5f);
    const float fw = static_cast<float>(w);
    const lanes weight = {fw, fw, fw, fw}, rest = {r, r, r, r}, most = {m, m, m, m};
    const lanes slack = {0.04f, 0.04f, 0.04f, 0.04f}, shrink = {1.0f - 1e-6f, 1.0f - 1e-6f, 1.0f - 1e-6f, 1.0f - 1e-6f};
    const float* row = &mean_[std::size_t{from} * row_size_];
    const float* n = &weight_[std::size_t{from} * padded_];
    typedef std::int32_t mask __attribute__((vector_size(4 * sizeof(std::int32_t))));
    typedef std::int64_t halves __attribute__((vector_size(2 * sizeof(std::int64_t))));
    mask any = {};
    for (int j = 0; j < padded_; j += 4) {
      lanes m0, m1, m2, m3, nj;
      __builtin_memcpy(&m0, row + j, sizeof m0);
      __builtin_memcpy(&m1, row + padded_ + j, sizeof m1);
      __builtin_memcpy(&m2, row + 2 * padded_ + j, sizeof m2);
      __builtin_memcpy(&m3, row + 3 * padded_ + j, sizeof m3);
      __builtin_memcpy(&nj, n + j, sizeof nj);
      const lanes d0 = x0 - m0, d1 = x1 - m1, d2 = x2 - m2, d3 = x3 - m3;
      const lanes d = (d0 * d0 + d1 * d1 + (d2 * d2 + d3 * d3)) * shrink - slack;
      any |= nj * d * rest <= most * (nj + weight);
    }
    // One test at the end, on two 64-bit halves: lane by lane costs more than
    // the arithmetic, and almost every point has no candidate anyway.
    const halves both = reinterpret_cast<halves>(any);
    return (both[0] | both[1]) != 0;
  }

 private:
  void fill(const partition& sums, std::size_t slot);
  void fill_own(const partition& sums, std::uint32_t j);

  int count_ = 0;
  int padded_ = 0;                          // count rounded up to 4 lanes
  std::size_t row_size_ = 0;                // channels * padded_
  std::vector<std::uint32_t> near_;         // count per cluster
  std::vector<float> mean_;                 // per cluster: channel planes of padded_ candidate means
  std::vector<float> weight_;               // per cluster: padded_ candidate weights
  std::vector<float> own_mean_;             // per cluster: its own mean
  std::vector<std::vector<std::size_t>> slots_of_;  // per cluster: the slots (cluster * count + c) listing it
};

}  // namespace kmq::detail
