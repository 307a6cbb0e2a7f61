// The step between Lloyd's iterations and the palette: Hartigan's method over
// the image's distinct colours (hartigan.hpp), then the centroids as straight
// RGBA colours ready to round.
#pragma once
#include <cstdint>
#include <vector>

#include "kmq/backend.hpp"

namespace kmq::detail {

struct refined_palette {
  std::vector<float> centroids;  // 4 per non-empty cluster, straight RGBA
  std::uint64_t moves = 0;
  int sweeps = 0;
};

// clustered: the colours as the backend clusters them (premultiplied or not);
// straight: the same colours as the image has them, index for index; counts:
// their pixel counts. centroids: the k kept by Lloyd, in the clustered space.
// The backend labels the points once against them (the same labels on every
// backend); with dedupe false its points are the pixels, colour by colour.
refined_palette refine_palette(const std::vector<packed_rgba>& clustered, const std::vector<packed_rgba>& straight,
                               const std::vector<std::uint32_t>& counts, const std::vector<float>& centroids, int k,
                               backend& engine, bool dedupe, bool translucent);

}  // namespace kmq::detail
