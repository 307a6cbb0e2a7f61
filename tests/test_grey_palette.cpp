// The exact palette of an opaque grey image (grey_palette.hpp) against a
// host reference that tries every palette, and quantize()'s use of it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "grey_palette.hpp"
#include "kmq/backend_select.hpp"
#include "kmq/error.hpp"
#include "kmq/quantize.hpp"
#include "kmq/random.hpp"
#include "test_support.hpp"

namespace kmq {
namespace {

// Every pixel to its nearest entry: the error an image gets from a palette.
std::uint64_t nearest_error(const std::vector<std::uint8_t>& levels, const std::vector<std::uint64_t>& counts,
                            const std::vector<std::uint8_t>& entries) {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < levels.size(); ++i) {
    std::uint64_t least = std::numeric_limits<std::uint64_t>::max();
    for (std::uint8_t e : entries) {
      const std::int64_t d = static_cast<std::int64_t>(levels[i]) - e;
      least = std::min<std::uint64_t>(least, static_cast<std::uint64_t>(d * d));
    }
    total += counts[i] * least;
  }
  return total;
}

// The reference: every set of k integer entries between the lowest and the
// highest level (no better entry lies outside them), tried.
std::uint64_t least_error_by_search(const std::vector<std::uint8_t>& levels, const std::vector<std::uint64_t>& counts,
                                    int k) {
  const int low = levels.front(), high = levels.back();
  std::uint64_t least = std::numeric_limits<std::uint64_t>::max();
  std::vector<std::uint8_t> entries(static_cast<std::size_t>(k));
  // entries[0] < entries[1] < ... within [low, high], in lexicographic order
  for (int i = 0; i < k; ++i) entries[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(low + i);
  while (true) {
    least = std::min(least, nearest_error(levels, counts, entries));
    int i = k - 1;
    while (i >= 0 && entries[static_cast<std::size_t>(i)] == high - (k - 1 - i)) --i;
    if (i < 0) break;
    ++entries[static_cast<std::size_t>(i)];
    for (int j = i + 1; j < k; ++j) entries[static_cast<std::size_t>(j)] = static_cast<std::uint8_t>(entries[static_cast<std::size_t>(j - 1)] + 1);
  }
  return least;
}

TEST(GreyPalette, NoPaletteOfKLevelsHasALowerErrorThanTheDynamicProgramme) {
  seeded_random rng(15);
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<std::uint8_t> levels;
    for (int v = 0; v <= 24; ++v) {
      if (rng.below(3) == 0) levels.push_back(static_cast<std::uint8_t>(v));
    }
    if (levels.size() < 2) continue;
    std::vector<std::uint64_t> counts;
    for (std::size_t i = 0; i < levels.size(); ++i) counts.push_back(1 + rng.below(trial % 2 ? 1000 : 5));
    for (int k = 1; k < static_cast<int>(levels.size()) && k <= 4; ++k) {
      const std::vector<std::uint8_t> found = detail::optimal_grey_levels(levels, counts, k);
      ASSERT_EQ(found.size(), static_cast<std::size_t>(k));
      EXPECT_TRUE(std::is_sorted(found.begin(), found.end()));
      EXPECT_EQ(nearest_error(levels, counts, found), least_error_by_search(levels, counts, k))
          << "trial " << trial << ", k " << k;
    }
  }
}

TEST(GreyPalette, KAtTheLevelsGivesTheLevels) {
  const std::vector<std::uint8_t> levels{3, 9, 200};
  EXPECT_EQ(detail::optimal_grey_levels(levels, {1, 1, 1}, 3), levels);
  EXPECT_EQ(detail::optimal_grey_levels(levels, {1, 1, 1}, 8), levels);
}

TEST(GreyPalette, RefusesLevelsThatAreNotRunsOfPixels) {
  EXPECT_THROW(detail::optimal_grey_levels({9, 3}, {1, 1}, 1), error);       // not ascending
  EXPECT_THROW(detail::optimal_grey_levels({3, 3, 9}, {1, 1, 1}, 1), error);  // a level twice
  EXPECT_THROW(detail::optimal_grey_levels({3, 9}, {1, 0}, 1), error);       // a level of no pixels
  EXPECT_THROW(detail::optimal_grey_levels({}, {}, 1), error);
  EXPECT_THROW(detail::optimal_grey_levels({3, 9}, {1, 1}, 0), error);
}

TEST(GreyPalette, FourBillionPixelsStayExact) {
  // 2^32 pixels at levels 0 and 255: the sums reach 2^48 and the centre is
  // the rounded mean, 127.5 -> 128.
  const std::uint64_t half = std::uint64_t{1} << 31;
  EXPECT_EQ(detail::optimal_grey_levels({0, 255}, {half, half}, 1), std::vector<std::uint8_t>{128});
  EXPECT_EQ(detail::optimal_grey_levels({0, 1, 255}, {half, 1, half - 1}, 2), (std::vector<std::uint8_t>{0, 255}));
}

TEST(GreyPalette, OnlyOpaqueGreyColoursCount) {
  EXPECT_TRUE(detail::all_opaque_grey({pack_rgba(0, 0, 0, 255), pack_rgba(7, 7, 7, 255)}));
  EXPECT_FALSE(detail::all_opaque_grey({pack_rgba(0, 0, 0, 255), pack_rgba(7, 7, 8, 255)}));
  EXPECT_FALSE(detail::all_opaque_grey({pack_rgba(7, 7, 7, 254)}));
  EXPECT_FALSE(detail::all_opaque_grey({}));
}

// A grey photo-like image: a gradient with noise, 200 levels or so.
std::vector<packed_rgba> grey_image(std::uint32_t width, std::uint32_t height) {
  std::vector<packed_rgba> pixels;
  seeded_random rng(7);
  for (std::uint32_t y = 0; y < height; ++y) {
    for (std::uint32_t x = 0; x < width; ++x) {
      const std::uint32_t v = std::min<std::uint32_t>(255, (x * 200) / width + (y * 40) / height + rng.below(16));
      pixels.push_back(pack_rgba(v, v, v, 255));
    }
  }
  return pixels;
}

quantize_result quantized(const std::vector<packed_rgba>& pixels, std::uint32_t width, int k, int threads,
                          std::uint64_t seed = 0, bool refine = true, color_space space = color_space::rgb) {
  quantize_options options;
  options.kmeans.k = k;
  options.kmeans.seed = seed;
  options.refine = refine;
  options.space = space;
  auto engine = make_cpu_backend(threads);
  const image_view image =
      view_of(pixels.data(), width, static_cast<std::uint32_t>(pixels.size() / width));
  return quantize(image, options, *engine);
}

TEST(GreyPalette, AGreyImageGetsTheOptimumAtOrBelowKMeans) {
  const std::vector<packed_rgba> pixels = grey_image(96, 64);
  for (int k : {2, 5, 16, 64}) {
    const quantize_result exact = quantized(pixels, 96, k, 2);
    EXPECT_TRUE(exact.exact_grey);
    EXPECT_TRUE(exact.passes.empty());
    EXPECT_EQ(exact.restarts, 0);
    EXPECT_EQ(exact.palette.size(), static_cast<std::size_t>(k));
    for (packed_rgba e : exact.palette) {
      EXPECT_TRUE(detail::all_opaque_grey({e}));
    }
    // Lloyd alone (--no-refine) is a local minimum: never lower.
    const quantize_result lloyd = quantized(pixels, 96, k, 2, 0, false);
    EXPECT_FALSE(lloyd.exact_grey);
    EXPECT_LE(exact.wcss, lloyd.wcss) << "k " << k;
    // The same answer on any thread count and seed.
    const quantize_result other = quantized(pixels, 96, k, 1, 99);
    EXPECT_EQ(other.palette, exact.palette);
    EXPECT_EQ(other.wcss, exact.wcss);
  }
}

TEST(GreyPalette, ColourAlphaAndOklabTakeTheClustering) {
  // Eleven levels far apart stay eleven in fixed-point OKLab, so --space
  // oklab clusters there (a grey image whose levels merge in OKLab falls back
  // to rgb, as any image does, and gets the exact palette).
  std::vector<packed_rgba> spaced;
  for (std::uint32_t i = 0; i < 64 * 32; ++i) spaced.push_back(pack_rgba(25 * (i % 11), 25 * (i % 11), 25 * (i % 11), 255));
  EXPECT_TRUE(quantized(spaced, 64, 4, 2).exact_grey);
  EXPECT_FALSE(quantized(spaced, 64, 4, 2, 0, true, color_space::oklab).exact_grey);
  std::vector<packed_rgba> pixels = grey_image(64, 32);
  pixels[5] = pack_rgba(10, 10, 11, 255);
  EXPECT_FALSE(quantized(pixels, 64, 8, 2).exact_grey);
  pixels[5] = pack_rgba(10, 10, 10, 128);
  EXPECT_FALSE(quantized(pixels, 64, 8, 2).exact_grey);
}

}  // namespace
}  // namespace kmq
