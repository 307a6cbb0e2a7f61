// Synthetic images for the library's tests: no files, no OpenCV.
#pragma once
#include <cstdint>
#include <vector>

#include "kmq/pixels.hpp"

namespace kmq::testing {

// Pixels scattered around the given centres (each channel +- spread, clamped),
// per_centre pixels each, shuffled. Alpha is kept from the centre.
std::vector<packed_rgba> clustered_pixels(const std::vector<packed_rgba>& centres, int per_centre, int spread,
                                          std::uint64_t seed);

// Uniformly random colours; opaque unless with_alpha.
std::vector<packed_rgba> random_pixels(std::size_t count, std::uint64_t seed, bool with_alpha = false);

// A smooth photo-like image: gradients plus a little noise, many distinct colours.
std::vector<packed_rgba> gradient_image(std::uint32_t width, std::uint32_t height, std::uint64_t seed);

}  // namespace kmq::testing
