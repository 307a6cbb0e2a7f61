// The colour histogram of an image under the table path's size (or with more
// than one alpha): distinct colours found by hashing, then only those sorted.
#pragma once
#include <cstddef>

#include "kmq/color_histogram.hpp"

namespace kmq::detail {

// Exactly build_color_histogram()'s result for any pixels (count < 2^32).
color_histogram histogram_by_hash(const packed_rgba* pixels, std::size_t count);

// The same by sorting (colour, pixel) pairs, 8 bytes a pixel: what the hash
// falls back to past 2^31 * 3/4 distinct colours (its entries are numbered in
// 32 bits), which needs over 1.6 G pixels.
color_histogram histogram_by_sort(const packed_rgba* pixels, std::size_t count);

}  // namespace kmq::detail
