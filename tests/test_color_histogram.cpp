#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <utility>

#include "color_histogram_hash.hpp"
#include "kmq/color_histogram.hpp"
#include "kmq/random.hpp"
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

// A second reference, by sorting (colour, pixel) pairs: quick enough for the
// many images of the property test below.
void expect_matches_sorted_pairs(const std::vector<packed_rgba>& pixels, const std::string& what) {
  SCOPED_TRACE(what + ", " + std::to_string(pixels.size()) + " pixels");
  std::vector<std::pair<packed_rgba, std::uint32_t>> pairs(pixels.size());
  for (std::size_t p = 0; p < pixels.size(); ++p) pairs[p] = {pixels[p], static_cast<std::uint32_t>(p)};
  std::sort(pairs.begin(), pairs.end());
  color_histogram want;
  want.pixel_to_color.resize(pixels.size());
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    if (i == 0 || pairs[i].first != pairs[i - 1].first) {
      want.colors.push_back(pairs[i].first);
      want.counts.push_back(0);
    }
    ++want.counts.back();
    want.pixel_to_color[pairs[i].second] = static_cast<std::uint32_t>(want.colors.size() - 1);
  }
  const color_histogram got = build_color_histogram(pixels.data(), pixels.size());
  ASSERT_EQ(got.colors, want.colors);
  ASSERT_EQ(got.counts, want.counts);
  ASSERT_EQ(got.pixel_to_color, want.pixel_to_color);
}

// Pixels drawn from `palette`, each with one of `alphas` alpha values (or the
// colour's own alpha when alphas is 0), neighbours repeating now and then.
std::vector<packed_rgba> drawn_from(const std::vector<packed_rgba>& palette, std::size_t count, int alphas,
                                    seeded_random& random) {
  std::vector<packed_rgba> pixels(count);
  for (std::size_t p = 0; p < count; ++p) {
    if (p > 0 && random.next() % 4 == 0) {
      pixels[p] = pixels[p - 1];
      continue;
    }
    pixels[p] = palette[random.next() % palette.size()];
    if (alphas > 0) pixels[p] = (pixels[p] & 0x00ffffffu) | static_cast<packed_rgba>(random.next() % alphas) << 24;
  }
  return pixels;
}

TEST(ColorHistogram, MatchesSortedPairsOnImagesOfManySizesAndKinds) {
  seeded_random random(13);
  // Every size up to 70, sizes either side of the hash table's powers of two
  // (sized at least 4/3 of the pixels, at most 3/4 full, grown twice as large
  // when full), and of the two-level table's megapixel (one alpha) taken by the
  // last ones.
  std::vector<std::size_t> sizes;
  for (std::size_t n = 0; n <= 70; ++n) sizes.push_back(n);
  for (std::size_t power = 128; power <= (std::size_t{1} << 17); power *= 4) {
    for (std::size_t n : {power / 3 - 1, power / 3, power / 3 + 1, power * 2 / 3, power * 2 / 3 + 1, power - 1, power,
                          power + 1}) {
      sizes.push_back(n);
    }
  }
  const std::size_t megapixel = std::size_t{1} << 20;
  // Adversarial keys: the extremes, 0 and ~0 (an empty-looking key), keys
  // that differ only in alpha, only in one high bit, or share all low bits.
  // 0x5ae1ed0d is the hash table's empty marker.
  std::vector<packed_rgba> adversarial = {0x00000000u, 0xffffffffu, 0x00000001u, 0xfffffffeu, 0x80000000u,
                                          0x7fffffffu, 0x5ae1ed0du, 0x5ae1ed0cu, 0x5ae1ed0eu, 0xa51e12f2u};
  for (std::uint32_t a = 0; a < 256; a += 17) adversarial.push_back(a << 24);
  for (int bit = 0; bit < 32; ++bit) adversarial.push_back(std::uint32_t{1} << bit);
  for (std::uint32_t k = 0; k < 64; ++k) adversarial.push_back(k << 26 | 0x00abcdefu);
  for (std::size_t n : sizes) {
    std::vector<packed_rgba> pixels = testing::random_pixels(n, random.next());  // all distinct, opaque
    expect_matches_sorted_pairs(pixels, "random opaque");
    pixels = testing::random_pixels(n, random.next(), true);
    expect_matches_sorted_pairs(pixels, "random with alpha");
    const std::vector<packed_rgba> few = testing::random_pixels(1 + n % 7, random.next());
    expect_matches_sorted_pairs(drawn_from(few, n, 0, random), "few opaque colours");
    expect_matches_sorted_pairs(drawn_from(few, n, 3, random), "few colours, three alphas");
    expect_matches_sorted_pairs(drawn_from(adversarial, n, 0, random), "adversarial keys");
    expect_matches_sorted_pairs(std::vector<packed_rgba>(n, 0u), "all 0");
    expect_matches_sorted_pairs(std::vector<packed_rgba>(n, 0xffffffffu), "all ~0");
  }
  for (std::size_t n : {megapixel - 1, megapixel, megapixel + 1}) {
    std::vector<packed_rgba> pixels = testing::random_pixels(n, random.next());
    for (auto& p : pixels) p &= 0xff3f3f3fu;  // one alpha, 2^18 colours: repeats
    expect_matches_sorted_pairs(pixels, "around a megapixel, one alpha");
    pixels[n / 2] = 0x7f000000u;
    expect_matches_sorted_pairs(pixels, "around a megapixel, two alphas");
  }
}

TEST(ColorHistogram, MoreDistinctColoursThanTheFirstHashTableHolds) {
  // 900 000 pixels, almost all distinct, with alpha: the table starts at 2^20
  // entries (3/4 of them usable) and grows to 2^21 while it is being filled.
  std::vector<packed_rgba> distinct = testing::random_pixels(900000, 21, true);
  for (std::size_t p = 0; p < distinct.size(); p += 1000) distinct[p] = 0x5ae1ed0du;  // the empty marker
  expect_matches_sorted_pairs(distinct, "random with alpha");
  std::vector<packed_rgba> pixels(800000);
  for (std::size_t p = 0; p < pixels.size(); ++p) pixels[p] = static_cast<packed_rgba>(p * 0x01000193u);
  expect_matches_sorted_pairs(pixels, "a multiplicative sequence");
}

TEST(ColorHistogram, ColoursCraftedToCrowdTheHashTableAreSortedInstead) {
  // 2^16 pixels take a table of 2^17 entries, a colour's home being the top
  // 17 bits of colour * 0x9e3779b97f4a7c15 (color_histogram_hash.cpp; change
  // this with the hash). 2^16 colours whose homes all lie in the first 2^13
  // entries make one long run that every new colour walks: seconds of
  // lookups, unless the hash gives up and sorts.
  std::vector<packed_rgba> pixels;
  for (std::uint64_t k = 0; pixels.size() < (std::size_t{1} << 16); ++k) {
    if (((k * 0x9e3779b97f4a7c15ull) >> (64 - 17)) < (std::uint64_t{1} << 13)) pixels.push_back(static_cast<packed_rgba>(k));
  }
  std::reverse(pixels.begin(), pixels.end());
  detail::hash_stats stats;
  detail::histogram_by_hash(pixels.data(), pixels.size(), &stats);
  EXPECT_TRUE(stats.fell_back_to_sort);
  expect_matches_sorted_pairs(pixels, "crafted to crowd the table");
}

TEST(ColorHistogram, RealisticImagesStayWithTheHash) {
  // The step budget that sends crafted colours to the sort must never cost
  // an ordinary image the hash.
  const std::size_t n = std::size_t{1} << 18;
  const std::vector<std::vector<packed_rgba>> images = {
      testing::random_pixels(n, 51), testing::random_pixels(n, 52, true), testing::gradient_image(512, 512, 53),
      testing::clustered_with_noise(n, 40, true, 54), testing::posterised_pixels(n, 55),
      testing::random_pixels(900000, 56, true)};
  for (const auto& pixels : images) {
    detail::hash_stats stats;
    detail::histogram_by_hash(pixels.data(), pixels.size(), &stats);
    EXPECT_FALSE(stats.fell_back_to_sort) << pixels.size() << " pixels, " << stats.probes << " steps";
    EXPECT_LT(stats.probes, 4 * pixels.size());
  }
}

TEST(ColorHistogram, TheSortFallbackForMoreColoursThanTheHashCanNumberMatchesToo) {
  // Taken only past 1.6 G distinct colours: called directly here.
  seeded_random random(34);
  for (std::size_t n : {0, 1, 2, 1000, 100000}) {
    std::vector<packed_rgba> pixels = testing::random_pixels(n, random.next(), true);
    for (std::size_t p = 1; p < n; p += 3) pixels[p] = pixels[p / 2];
    const color_histogram got = detail::histogram_by_sort(pixels.data(), pixels.size());
    const color_histogram want = build_color_histogram(pixels.data(), pixels.size());
    EXPECT_EQ(got.colors, want.colors);
    EXPECT_EQ(got.counts, want.counts);
    EXPECT_EQ(got.pixel_to_color, want.pixel_to_color);
  }
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
