#include "kmq/palette_order.hpp"

#include <algorithm>
#include <numeric>
#include <tuple>

namespace kmq {

std::vector<int> palette_output_order(const std::vector<packed_rgba>& palette,
                                      const std::vector<std::uint64_t>& pixel_counts) {
  std::vector<int> order(palette.size());
  std::iota(order.begin(), order.end(), 0);
  // tRNS lists alpha for entries 0..n-1 and implies 255 after them, so
  // translucent entries first keep it short. Among opaque entries, the most
  // used first: readers that show palettes (and humans) see the main colours first.
  auto key = [&](int i) {
    const std::uint32_t alpha = alpha_of(palette[i]);
    const bool opaque = alpha == 255;
    return std::make_tuple(opaque, opaque ? 0u : alpha, opaque ? ~pixel_counts[i] : 0u, palette[i]);
  };
  std::sort(order.begin(), order.end(), [&](int a, int b) { return key(a) < key(b); });
  return order;
}

}  // namespace kmq
