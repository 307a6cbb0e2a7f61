// Greedy k-means++ on the CPU, every step in one call (backend::seed_greedy):
// the same centres and the same draws as seed_centres()' step-by-step loop,
// with two passes over the points a step instead of four. The loop's
// potential comes from the chosen candidate's sum, and its draws search
// per-block sums (kept by the update pass) instead of a serial prefix sum
// over every point rebuilt each step. Blocks and their parts that a centre
// cannot reach (by their colours' boxes) are passed over with their sums.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kmq/pixels.hpp"
#include "kmq/random.hpp"

namespace kmq::detail {

struct greedy_seed_points {
  const packed_rgba* points;
  const std::uint32_t* weights;
  std::uint32_t* distance;  // D(i) after the first centre; updated as seed_add_centre would
  std::size_t count;
  int threads;
};

// For each candidate c: the sum of weight * min(D, |x - c|^2) over every point.
void all_candidate_potentials(const greedy_seed_points& in, const packed_rgba* candidates, int count,
                              std::uint64_t* potentials);

// Appends centres until there are k, drawing trials candidates a step.
void greedy_seed(const greedy_seed_points& in, seeded_random& random, int k, int trials,
                 std::vector<packed_rgba>& centres);

}  // namespace kmq::detail
