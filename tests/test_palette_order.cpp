#include <gtest/gtest.h>

#include "kmq/palette_order.hpp"

namespace kmq {
namespace {

TEST(PaletteOrder, TranslucentByAlphaFirstThenOpaqueByUse) {
  const std::vector<packed_rgba> palette = {pack_rgba(1, 1, 1, 255), pack_rgba(2, 2, 2, 200), pack_rgba(3, 3, 3, 255),
                                            pack_rgba(4, 4, 4, 0), pack_rgba(5, 5, 5, 255)};
  const std::vector<std::uint64_t> counts = {10, 1, 30, 1, 10};
  EXPECT_EQ(palette_output_order(palette, counts), (std::vector<int>{3, 1, 2, 0, 4}));
}

TEST(PaletteOrder, IsAPermutationForAnyInput) {
  std::vector<packed_rgba> palette;
  std::vector<std::uint64_t> counts;
  for (int i = 0; i < 256; ++i) {
    palette.push_back(pack_rgba(i, 255 - i, i / 2, i % 3 == 0 ? 255 : i));
    counts.push_back(static_cast<std::uint64_t>((i * 7919) % 13));
  }
  std::vector<int> order = palette_output_order(palette, counts);
  std::sort(order.begin(), order.end());
  for (int i = 0; i < 256; ++i) EXPECT_EQ(order[i], i);
}

}  // namespace
}  // namespace kmq
