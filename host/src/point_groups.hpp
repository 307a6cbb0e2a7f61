// Colours whose clustered values are equal (premultiplying merges many of a
// soft edge's) are one point to the refinement and the polishing rounds: the
// same distances, so the same moves. Grouped once, the host work runs over
// the distinct values; what the entries need of the straight colours (pixels
// times alpha times each channel) is summed per group, exactly.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "kmq/pixels.hpp"

namespace kmq::detail {

struct point_groups {
  std::vector<packed_rgba> points;      // the distinct clustered values, ascending
  std::vector<std::uint32_t> weights;   // pixels per group
  std::vector<std::uint64_t> shown_sums;  // 3 per group: sum of pixels * alpha * straight channel
  std::vector<std::uint32_t> of_color;  // per colour: its group
};

point_groups group_points(const std::vector<packed_rgba>& clustered, const std::vector<packed_rgba>& straight,
                          const std::vector<std::uint32_t>& counts);

// A channel value as a byte: clamped to [0, 255], rounded half away from zero.
inline std::uint32_t rounded_byte(double value) {
  return static_cast<std::uint32_t>(std::lround(std::min(255.0, std::max(0.0, value))));
}

// The mean sum / weight (weight > 0) rounded to the nearest integer, halves
// up, in integers: (2 sum + weight) / (2 weight), exact for any 64-bit sums.
inline std::uint64_t rounded_mean(std::uint64_t sum, std::uint64_t weight) {
  __extension__ typedef unsigned __int128 wide;  // GCC and Clang; -Wpedantic knows it is not ISO
  return static_cast<std::uint64_t>((2 * static_cast<wide>(sum) + weight) / (2 * static_cast<wide>(weight)));
}

}  // namespace kmq::detail
