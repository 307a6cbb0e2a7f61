// Every centroid listed by its distance from each centroid, so that a point
// the bounds could not settle scans the centroids nearest its own first and
// stops where the triangle inequality rules out the rest: a point within u of
// its centre c_a is farther than d(c_a, c_j) - u from c_j. At k = 256 a scan
// then reads a few blocks of the list instead of all 32.
#pragma once
#include <cstdint>
#include <vector>

#include "cpu_assign.hpp"

namespace kmq::detail {

struct neighbour_order {
  int k = 0;
  int padded_k = 0;  // entries per list: centroids.padded_k
  int blocks = 0;    // padded_k / centroid_lanes
  // List a, entry m at [a * padded_k + m]: the m-th nearest centroid to
  // centroid a when last sorted (a itself first; ties: the lower index), at
  // its current place, by channel; entries past k are at +infinity and never win.
  std::vector<float> channel[channels];
  std::vector<std::int32_t> index;  // the entry's cluster
  // [a * blocks + b]: at most the true distance from centroid a to any
  // centroid in block b of its list or a later one (+infinity past k).
  std::vector<float> reach;
  // The order is sorted anew every resort_every calls, when k changes, and
  // when a centroid moved by resort_move or more since the last call (a new
  // run's seeds, Lloyd's first passes); in between the centroids move little
  // and the old order still stops scans early.
  static constexpr int resort_every = 8;
  static constexpr float resort_move = 4.0f;
  int passes_since_sort = 0;
};

// Whether ordering (about k^2 centre distances a pass, each costing a few
// times what one of a block's lanes does) pays at this k, when about as many
// points as the last pass's scanned are scanned again: a scan reads at least
// two blocks and stops after about three.
inline bool neighbour_order_pays(int k, std::uint64_t scanned) {
  const int blocks = (k + centroid_lanes - 1) / centroid_lanes;
  if (blocks <= 3) return false;
  const auto kk = static_cast<std::uint64_t>(k);
  return scanned * static_cast<std::uint64_t>(blocks - 3) * centroid_lanes >= 16 * kk * kk;
}

// Whether near_moves() (below) pays: it needs the order, about k^2 centre
// distances a pass and a sort of every list every few passes, to save part of
// a distance on some of `points`. An icon of 707 colours at k = 256 (eight
// seedings) spent 6 ms a run in the ordering against none without it; a photo
// of 33 k colours at k = 256 ran as fast without it (bench/NOTES.md).
inline bool near_moves_pay(int k, std::size_t points) {
  const auto kk = static_cast<std::size_t>(k);
  return k > centroid_lanes && points >= kk * kk;
}

// Fills order for these centroids (reusing its storage); largest_move: the
// farthest any centroid moved since the last call.
void order_neighbours(const centroid_planes& centroids, float largest_move, neighbour_order& order);

// For hamerly_bounds (cpu_assign.hpp), per cluster a: near_shrink, the
// largest of moved (how far each centroid moved since the last pass) among
// the other centroids in the first block of a's list; beyond, the list's
// reach past that block (infinity with one block). In a late pass the
// centroids that bound a point's lower bound move less than the farthest mover.
void near_moves(const neighbour_order& order, const float* moved, std::vector<float>& near_shrink,
                std::vector<float>& beyond);

}  // namespace kmq::detail
