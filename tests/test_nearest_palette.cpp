// The accelerated nearest-entry search that dithering uses against its
// definition: a scan of every entry by exact integer distance, ties to the
// lowest index (what the backends' assign_to_palette does).
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "../host/src/nearest_palette.hpp"
#include "kmq/error.hpp"
#include "kmq/random.hpp"
#include "test_support.hpp"

namespace kmq {
namespace {

using detail::nearest_palette;

void expect_matches_brute_force(const std::vector<packed_rgba>& palette, const std::vector<packed_rgba>& queries) {
  nearest_palette search(palette.data(), static_cast<int>(palette.size()));
  const int n = static_cast<int>(palette.size());
  for (packed_rgba q : queries) {
    const std::uint8_t want = nearest_palette::brute_force(palette.data(), n, q);
    ASSERT_EQ(search.find(q), want) << "palette of " << n << ", query " << std::hex << q;
  }
  // Asked again (every cell list now built, the last answer remembered): the same.
  for (packed_rgba q : queries) ASSERT_EQ(search.find(q), nearest_palette::brute_force(palette.data(), n, q));
}

std::vector<packed_rgba> random_colours(std::size_t count, seeded_random& random, bool with_alpha) {
  std::vector<packed_rgba> colours(count);
  for (auto& c : colours) c = testing::random_colour(random, with_alpha);
  return colours;
}

TEST(NearestPalette, BruteForceIsTheBackendsRule) {
  const std::vector<packed_rgba> palette = {pack_rgba(10, 0, 0, 255), pack_rgba(12, 0, 0, 255), pack_rgba(10, 0, 0, 255)};
  // 11 is as near to 10 as to 12: the lower index wins; the duplicate never does.
  EXPECT_EQ(nearest_palette::brute_force(palette.data(), 3, pack_rgba(11, 0, 0, 255)), 0);
  EXPECT_EQ(nearest_palette::brute_force(palette.data(), 3, pack_rgba(12, 0, 0, 255)), 1);
  EXPECT_EQ(nearest_palette::brute_force(palette.data(), 3, pack_rgba(10, 0, 0, 255)), 0);
  // Alpha counts like any channel.
  const std::vector<packed_rgba> alpha = {pack_rgba(0, 0, 0, 0), pack_rgba(0, 0, 0, 255)};
  EXPECT_EQ(nearest_palette::brute_force(alpha.data(), 2, pack_rgba(20, 20, 20, 200)), 1);
  EXPECT_EQ(nearest_palette::brute_force(alpha.data(), 2, pack_rgba(20, 20, 20, 100)), 0);
}

TEST(NearestPalette, RandomPalettesAndColours) {
  seeded_random random(11);
  for (int size : {1, 2, 3, 5, 8, 16, 24, 25, 33, 64, 128, 200, 255, 256}) {
    for (bool with_alpha : {false, true}) {
      const std::vector<packed_rgba> palette = random_colours(static_cast<std::size_t>(size), random, with_alpha);
      std::vector<packed_rgba> queries = random_colours(20000, random, true);
      const std::vector<packed_rgba> opaque = random_colours(10000, random, false);
      queries.insert(queries.end(), opaque.begin(), opaque.end());
      queries.insert(queries.end(), palette.begin(), palette.end());
      expect_matches_brute_force(palette, queries);
    }
  }
}

TEST(NearestPalette, ClusteredPalettesNearTheirEntries) {
  // Entries close together (many candidates per cell), queries around them.
  seeded_random random(12);
  for (int size : {16, 256}) {
    std::vector<packed_rgba> palette;
    const packed_rgba centre = testing::random_colour(random, true);
    for (int j = 0; j < size; ++j) {
      std::uint32_t c[channels];
      for (int ch = 0; ch < channels; ++ch) {
        c[ch] = static_cast<std::uint32_t>(
            std::clamp(static_cast<int>(channel_of(centre, ch)) + static_cast<int>(random.below(41)) - 20, 0, 255));
      }
      palette.push_back(pack_rgba(c[0], c[1], c[2], c[3]));
    }
    std::vector<packed_rgba> queries;
    for (int i = 0; i < 50000; ++i) {
      const packed_rgba base = palette[random.below(palette.size())];
      std::uint32_t c[channels];
      for (int ch = 0; ch < channels; ++ch) {
        c[ch] = static_cast<std::uint32_t>(
            std::clamp(static_cast<int>(channel_of(base, ch)) + static_cast<int>(random.below(31)) - 15, 0, 255));
      }
      queries.push_back(pack_rgba(c[0], c[1], c[2], c[3]));
    }
    expect_matches_brute_force(palette, queries);
  }
}

TEST(NearestPalette, DuplicatesAndExactTies) {
  // A lattice of even levels, shuffled, with duplicates: every query with odd
  // levels is equally far from several entries, and the lowest index must win.
  seeded_random random(13);
  std::vector<packed_rgba> palette;
  for (std::uint32_t r = 0; r <= 8; r += 2) {
    for (std::uint32_t g = 0; g <= 8; g += 2) {
      for (std::uint32_t b = 0; b <= 8; b += 2) palette.push_back(pack_rgba(100 + r, 60 + g, 200 + b, 255));
    }
  }
  for (std::size_t i = palette.size(); i > 1; --i) std::swap(palette[i - 1], palette[random.below(i)]);
  for (int d = 0; d < 20; ++d) palette.push_back(palette[random.below(palette.size())]);  // 145 entries
  std::vector<packed_rgba> queries;
  for (std::uint32_t r = 95; r <= 113; ++r) {
    for (std::uint32_t g = 55; g <= 73; ++g) {
      for (std::uint32_t b = 195; b <= 213; ++b) {
        for (std::uint32_t a : {254u, 255u}) queries.push_back(pack_rgba(r, g, b, a));
      }
    }
  }
  expect_matches_brute_force(palette, queries);

  // Ties across cell borders: entries at 15 and 17 around the border at 16,
  // and enough far ones that the search uses cells (small palettes are scanned whole).
  std::vector<packed_rgba> straddle = {pack_rgba(17, 17, 17, 17), pack_rgba(15, 15, 15, 15),
                                       pack_rgba(15, 17, 15, 17), pack_rgba(17, 15, 17, 15)};
  for (std::uint32_t j = 0; j < 40; ++j) straddle.push_back(pack_rgba(100 + 3 * j, 200, 255 - j, 255));
  for (std::uint32_t j = 0; j < 4; ++j) straddle.push_back(straddle[j]);  // duplicates of the four
  std::vector<packed_rgba> near;
  for (std::uint32_t v = 0; v < 65536; ++v) {
    near.push_back(pack_rgba(12 + (v & 7), 12 + ((v >> 3) & 7), 12 + ((v >> 6) & 7), 12 + ((v >> 9) & 7)));
  }
  expect_matches_brute_force(straddle, near);
}

TEST(NearestPalette, EveryColourOfACoarseGrid) {
  // The whole space at a step of 5 levels, against a 256-entry palette with alpha.
  seeded_random random(14);
  const std::vector<packed_rgba> palette = random_colours(256, random, true);
  std::vector<packed_rgba> queries;
  for (std::uint32_t r = 0; r < 256; r += 15) {
    for (std::uint32_t g = 0; g < 256; g += 5) {
      for (std::uint32_t b = 0; b < 256; b += 5) {
        for (std::uint32_t a : {0u, 64u, 200u, 255u}) queries.push_back(pack_rgba(r, g, b, a));
      }
    }
  }
  expect_matches_brute_force(palette, queries);
}

TEST(NearestPalette, RefusesSizesOutOfRange) {
  const std::vector<packed_rgba> many(257, 0);
  EXPECT_THROW(nearest_palette(many.data(), 0), error);
  EXPECT_THROW(nearest_palette(many.data(), 257), error);
  nearest_palette one(many.data(), 1);
  EXPECT_EQ(one.find(pack_rgba(255, 255, 255, 255)), 0);
}

}  // namespace
}  // namespace kmq
