// The palette of a clustering run in OKLab (--space oklab), as sRGB entries.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kmq/pixels.hpp"

namespace kmq::detail {

// Fixed-point OKLab centroids (4 floats each) as sRGB entries, from the
// unrounded means (one rounding, not two), duplicates merged, ascending by key.
std::vector<packed_rgba> palette_from_oklab(const std::vector<float>& centroids);

// With the clusters known (labels: per colour, 0..clusters-1), each entry
// from the exact OKLab mean of its colours (double, summed in colour order:
// the same on every backend and thread count), so that the fixed point's steps
// of 1/255 decide only which colours go together, not where the entry lands:
// a cluster of one colour gets that colour back exactly. Opaque entries,
// duplicates merged, ascending by key.
std::vector<packed_rgba> palette_from_exact_oklab(const std::vector<packed_rgba>& colors,
                                                  const std::vector<std::uint32_t>& counts,
                                                  const std::vector<std::uint32_t>& labels, std::size_t clusters);

}  // namespace kmq::detail
