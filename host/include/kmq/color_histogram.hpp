// The distinct colours of an image with their pixel counts: weighted k-means on
// these is the same problem as k-means on every pixel, at a fraction of the cost.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kmq/pixels.hpp"

namespace kmq {

struct color_histogram {
  std::vector<packed_rgba> colors;           // distinct colours, ascending by packed key
  std::vector<std::uint32_t> counts;         // pixels of each colour
  std::vector<std::uint32_t> pixel_to_color; // for every pixel, its index in colors
};

// Host reference (a hash of the distinct colours, then a sort of them; a
// two-level table over a megapixel with one alpha). Every backend must
// return exactly this (same order, same counts, same map).
color_histogram build_color_histogram(const packed_rgba* pixels, std::size_t count);

// The pixels themselves as points, grouped by colour in ascending key order
// (weight 1 each): k-means on these (--no-dedupe) visits colours in the same
// order as on the histogram, which is what makes both give the same bytes.
// point_to_pixel[i] is the pixel that point i came from.
struct pixel_points {
  std::vector<packed_rgba> points;
  std::vector<std::uint32_t> point_to_pixel;
};
pixel_points expand_histogram(const color_histogram& histogram);

}  // namespace kmq
