#include <gtest/gtest.h>

#include <map>

#include "kmq/color_histogram.hpp"
#include "test_support.hpp"

namespace kmq {
namespace {

void expect_matches_reference(const std::vector<packed_rgba>& pixels) {
  const color_histogram h = build_color_histogram(pixels.data(), pixels.size());
  std::map<packed_rgba, std::uint32_t> reference;
  for (packed_rgba p : pixels) ++reference[p];
  ASSERT_EQ(h.colors.size(), reference.size());
  ASSERT_EQ(h.counts.size(), reference.size());
  std::size_t i = 0;
  for (const auto& [color, count] : reference) {
    EXPECT_EQ(h.colors[i], color);
    EXPECT_EQ(h.counts[i], count);
    ++i;
  }
  ASSERT_EQ(h.pixel_to_color.size(), pixels.size());
  for (std::size_t p = 0; p < pixels.size(); ++p) ASSERT_EQ(h.colors[h.pixel_to_color[p]], pixels[p]);
}

TEST(ColorHistogram, SmallKnownImage) {
  const std::vector<packed_rgba> pixels = {5, 3, 5, 0xff000000u, 3, 5};
  const color_histogram h = build_color_histogram(pixels.data(), pixels.size());
  EXPECT_EQ(h.colors, (std::vector<packed_rgba>{3, 5, 0xff000000u}));
  EXPECT_EQ(h.counts, (std::vector<std::uint32_t>{2, 3, 1}));
  EXPECT_EQ(h.pixel_to_color, (std::vector<std::uint32_t>{1, 0, 1, 2, 0, 1}));
}

TEST(ColorHistogram, MatchesAnOrderedMapOnRandomOpaqueAndTranslucentPixels) {
  expect_matches_reference(testing::random_pixels(50000, 1));
  expect_matches_reference(testing::random_pixels(50000, 2, true));
  std::vector<packed_rgba> few = testing::random_pixels(30000, 3);
  for (auto& p : few) p &= 0xff0303f0u;  // many repeats, differences in every byte
  expect_matches_reference(few);
}

TEST(ColorHistogram, LargeImagesWithOneAlphaMatchTheReferenceToo) {
  // Over a megapixel with constant alpha takes the direct-table path.
  std::vector<packed_rgba> pixels = testing::random_pixels(1100000, 5);
  for (auto& p : pixels) p = (p & 0x00f0f0ffu) | 0x80000000u;
  expect_matches_reference(pixels);
  pixels[77] = 0xff000000u;  // one other alpha: back to sorting
  expect_matches_reference(pixels);
}

TEST(ColorHistogram, OnePixelAndOneColour) {
  expect_matches_reference({0x12345678u});
  expect_matches_reference(std::vector<packed_rgba>(1000, 0xff00ff00u));
}

TEST(ColorHistogram, ExpandGroupsPixelsByColourInPixelOrder) {
  const std::vector<packed_rgba> pixels = {9, 4, 9, 4, 7};
  const pixel_points expanded = expand_histogram(build_color_histogram(pixels.data(), pixels.size()));
  EXPECT_EQ(expanded.points, (std::vector<packed_rgba>{4, 4, 7, 9, 9}));
  EXPECT_EQ(expanded.point_to_pixel, (std::vector<std::uint32_t>{1, 3, 4, 0, 2}));
}

TEST(CollapseTransparent, OnlyFullyTransparentPixelsBecomeTransparentBlack) {
  std::vector<packed_rgba> pixels = {pack_rgba(10, 20, 30, 0), pack_rgba(10, 20, 30, 1), pack_rgba(1, 2, 3, 255)};
  collapse_transparent(pixels.data(), pixels.size());
  EXPECT_EQ(pixels[0], 0u);
  EXPECT_EQ(pixels[1], pack_rgba(10, 20, 30, 1));
  EXPECT_EQ(pixels[2], pack_rgba(1, 2, 3, 255));
}

}  // namespace
}  // namespace kmq
