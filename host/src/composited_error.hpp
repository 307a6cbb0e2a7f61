// An image with alpha as a viewer sees it: composited (each colour channel
// times alpha, and alpha). The error of its colours against their entries in
// those terms, and the one entry of least such error (K = 1).
#pragma once
#include <cstdint>
#include <vector>

#include "kmq/pixels.hpp"

namespace kmq::detail {

// One pair's composited colour distance, in units of 1/255^2 so that it is an
// integer: the sum over R, G and B of (a's channel times its alpha minus b's
// channel times its alpha) squared. At most 3 * 65025^2, which 64 bits hold.
inline std::uint64_t composited_colour_distance(packed_rgba a, packed_rgba b) {
  std::uint64_t total = 0;
  for (int c = 0; c < 3; ++c) {
    const std::int64_t d = static_cast<std::int64_t>(channel_of(a, c) * alpha_of(a)) -
                           static_cast<std::int64_t>(channel_of(b, c) * alpha_of(b));
    total += static_cast<std::uint64_t>(d * d);
  }
  return total;
}

// One pair's alpha difference, squared.
inline std::uint64_t alpha_distance(packed_rgba a, packed_rgba b) {
  const std::int64_t d = static_cast<std::int64_t>(alpha_of(a)) - static_cast<std::int64_t>(alpha_of(b));
  return static_cast<std::uint64_t>(d * d);
}

// Per channel R*A/255, G*A/255, B*A/255, then A, squared and summed over the
// colours (each counts[i] times, labels[i] its entry): the figure
// measure_error() reports, summed the same way (integers scaled by 255^2),
// so a --quality search judges a K by the error its result reports.
double composited_error(const std::vector<packed_rgba>& colors, const std::vector<std::uint32_t>& counts,
                        const std::vector<std::uint32_t>& labels, const std::vector<packed_rgba>& palette);

// K = 1: the one entry serves every pixel, so it is the mean of the
// composited colours (alpha the mean alpha, each colour channel weighted by
// pixels times alpha), the exact optimum of that error. The alpha rule needs
// two entries at least: kept to here, transparent black would hide an image
// of translucent pixels, and an opaque entry would serve its transparent ones.
packed_rgba one_entry_palette(const std::vector<packed_rgba>& colors, const std::vector<std::uint32_t>& counts);

}  // namespace kmq::detail
