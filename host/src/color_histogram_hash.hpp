// The colour histogram of an image under the table path's size (or with more
// than one alpha): distinct colours found by hashing, then only those sorted.
#pragma once
#include <cstddef>

#include "kmq/color_histogram.hpp"

namespace kmq::detail {

// What the lookups did, for tests.
struct hash_stats {
  std::size_t probes = 0;          // steps past a colour's home entry
  bool fell_back_to_sort = false;  // too many of them, or too many colours
};

// Exactly build_color_histogram()'s result for any pixels (count < 2^32).
color_histogram histogram_by_hash(const packed_rgba* pixels, std::size_t count, hash_stats* stats = nullptr);

// The same by sorting (colour, pixel) pairs, 8 bytes a pixel: what the hash
// falls back to when its lookups take far too many steps (colours crafted
// to crowd its table) or past 2^31 * 3/4 distinct colours (its entries are
// numbered in 32 bits), which needs over 1.6 G pixels.
color_histogram histogram_by_sort(const packed_rgba* pixels, std::size_t count);

}  // namespace kmq::detail
