// The palette of an opaque grey image (every colour has R = G = B): its
// colours lie on one line, where k-means has an exact solution. The
// nearest-entry cells of K grey entries are runs of consecutive levels, so
// the best palette is the best cut of the (at most 256) levels into K runs,
// each served by the integer level nearest its mean: a dynamic programme over
// the levels (Wang and Song, "Ckmeans.1d.dp", 2011), exact in integers. No
// seeding, no local minimum: no quantizer's K entries have a lower error.
#pragma once
#include <cstdint>
#include <vector>

#include "kmq/pixels.hpp"

namespace kmq::detail {

// Whether every colour is opaque grey (colours: the distinct colours).
bool all_opaque_grey(const std::vector<packed_rgba>& colors);

// The grey entries (ascending, at most k) of least total squared error over
// the pixels: levels are the distinct grey levels, ascending, and counts their
// pixels. Among cuts of equal error, each run begins as early as it can (the
// first found), so the answer is one and the same everywhere. Exact (integer
// sums) for up to 2^32 pixels.
std::vector<std::uint8_t> optimal_grey_levels(const std::vector<std::uint8_t>& levels,
                                              const std::vector<std::uint64_t>& counts, int k);

// optimal_grey_levels() of an opaque grey image's distinct colours and their
// pixel counts, as palette entries.
std::vector<packed_rgba> optimal_grey_palette(const std::vector<packed_rgba>& colors,
                                              const std::vector<std::uint32_t>& counts, int k);

}  // namespace kmq::detail
