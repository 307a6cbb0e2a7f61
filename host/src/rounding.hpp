// The two roundings a palette entry goes through, in one place so that every
// path (refinement, polishing, the grey palette, the variance split, oklab's
// way back to bytes) rounds alike.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>

namespace kmq::detail {

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
