// Colours whose clustered values are equal (premultiplying merges many of a
// soft edge's) are one point to the refinement and the polishing rounds: the
// same distances, so the same moves. Grouped once, the host work runs over
// the distinct values; what the entries need of the straight colours (pixels
// times alpha times each channel) is summed per group, exactly.
#pragma once
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

}  // namespace kmq::detail
