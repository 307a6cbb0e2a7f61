// The order of palette entries in the PNG: deterministic, and chosen so that
// the tRNS chunk is as short as possible (translucent entries first).
#pragma once
#include <cstdint>
#include <vector>

#include "kmq/pixels.hpp"

namespace kmq {

// Returns order[new_index] = old_index. Entries with alpha < 255 come first
// (alpha ascending), then opaque ones by pixel count descending; ties by key.
std::vector<int> palette_output_order(const std::vector<packed_rgba>& palette,
                                      const std::vector<std::uint64_t>& pixel_counts);

}  // namespace kmq
