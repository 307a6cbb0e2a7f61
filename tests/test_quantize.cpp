#include <gtest/gtest.h>

#include <set>

#include "kmq/backend_select.hpp"
#include "kmq/error.hpp"
#include "kmq/quantize.hpp"
#include "test_support.hpp"

namespace kmq {
namespace {

quantize_result run(const std::vector<packed_rgba>& pixels, int k, bool dedupe = true, int threads = 2,
                    std::uint64_t seed = 0, init_method init = init_method::kmeanspp, int restarts = 1) {
  quantize_options options;
  options.kmeans.k = k;
  options.kmeans.restarts = restarts;
  options.kmeans.seed = seed;
  options.kmeans.init = init;
  options.dedupe = dedupe;
  auto engine = make_cpu_backend(threads);
  return quantize(pixels.data(), pixels.size(), options, *engine);
}

void expect_valid(const quantize_result& r, std::size_t pixel_count, int k) {
  ASSERT_FALSE(r.palette.empty());
  EXPECT_LE(r.palette.size(), static_cast<std::size_t>(k));
  EXPECT_EQ(std::set<packed_rgba>(r.palette.begin(), r.palette.end()).size(), r.palette.size());
  ASSERT_EQ(r.indices.size(), pixel_count);
  std::vector<bool> used(r.palette.size());
  for (std::uint8_t i : r.indices) {
    ASSERT_LT(i, r.palette.size());
    used[i] = true;
  }
  for (bool u : used) EXPECT_TRUE(u) << "every palette entry is used";
}

void expect_identical(const quantize_result& a, const quantize_result& b) {
  EXPECT_EQ(a.palette, b.palette);
  EXPECT_EQ(a.indices, b.indices);
  EXPECT_EQ(a.iterations, b.iterations);
  EXPECT_EQ(a.wcss_history, b.wcss_history);
  EXPECT_EQ(a.wcss, b.wcss);
}

const std::vector<packed_rgba> photo = testing::gradient_image(160, 120, 9);

TEST(Quantize, SmallPalettesAreLossless) {
  const std::vector<packed_rgba> pixels = {pack_rgba(1, 2, 3, 255), pack_rgba(9, 9, 9, 255), pack_rgba(1, 2, 3, 255),
                                           pack_rgba(0, 0, 0, 0), pack_rgba(5, 6, 7, 128)};
  for (int k : {4, 5, 256}) {
    const quantize_result r = run(pixels, k);
    expect_valid(r, pixels.size(), k);
    EXPECT_TRUE(r.lossless);
    EXPECT_EQ(r.distinct_colors, 4u);
    EXPECT_EQ(r.wcss, 0.0);
    for (std::size_t p = 0; p < pixels.size(); ++p) EXPECT_EQ(r.palette[r.indices[p]], pixels[p]);
    // Translucent entries lead the palette (short tRNS).
    EXPECT_EQ(alpha_of(r.palette[0]), 0u);
    EXPECT_EQ(alpha_of(r.palette[1]), 128u);
  }
}

TEST(Quantize, OneColourAndOnePixel) {
  const quantize_result one = run({pack_rgba(4, 5, 6, 255)}, 16);
  EXPECT_EQ(one.palette, (std::vector<packed_rgba>{pack_rgba(4, 5, 6, 255)}));
  const quantize_result flat = run(std::vector<packed_rgba>(5000, pack_rgba(7, 7, 7, 255)), 1);
  EXPECT_EQ(flat.palette.size(), 1u);
  EXPECT_TRUE(flat.lossless);
}

TEST(Quantize, KOneGivesTheRoundedMeanColour) {
  const std::vector<packed_rgba> pixels = {pack_rgba(0, 0, 0, 255), pack_rgba(10, 20, 30, 255), pack_rgba(20, 40, 61, 255)};
  const quantize_result r = run(pixels, 1);
  EXPECT_EQ(r.palette, (std::vector<packed_rgba>{pack_rgba(10, 20, 30, 255)}));
  EXPECT_TRUE(r.converged);
}

TEST(Quantize, DedupeAndRawPixelsGiveIdenticalResults) {
  for (int k : {2, 16, 64}) {
    for (init_method init : {init_method::kmeanspp, init_method::random}) {
      const quantize_result a = run(photo, k, true, 2, 1, init);
      const quantize_result b = run(photo, k, false, 2, 1, init);
      expect_valid(a, photo.size(), k);
      expect_identical(a, b);
    }
  }
}

TEST(Quantize, ThreadCountNeverChangesTheResult) {
  const quantize_result one = run(photo, 32, true, 1);
  for (int threads : {2, 3, 7}) expect_identical(one, run(photo, 32, true, threads));
  expect_identical(run(photo, 32, false, 1), run(photo, 32, false, 5));
}

TEST(Quantize, RestartsKeepEveryInvariance) {
  const quantize_result one = run(photo, 24, true, 1, 3, init_method::kmeanspp, 4);
  expect_identical(one, run(photo, 24, false, 3, 3, init_method::kmeanspp, 4));
  expect_identical(one, run(photo, 24, true, 5, 3, init_method::kmeanspp, 4));
  EXPECT_LE(one.wcss, run(photo, 24, true, 2, 3).wcss * 1.001);
}

TEST(Quantize, TheFinalErrorIsTheExactErrorOfTheLabelMap) {
  const quantize_result r = run(photo, 16);
  double total = 0;
  for (std::size_t p = 0; p < photo.size(); ++p) total += squared_distance(photo[p], r.palette[r.indices[p]]);
  EXPECT_EQ(r.wcss, total);
  // Every pixel takes its nearest palette entry.
  for (std::size_t p = 0; p < photo.size(); p += 37) {
    for (packed_rgba c : r.palette) ASSERT_LE(squared_distance(photo[p], r.palette[r.indices[p]]), squared_distance(photo[p], c));
  }
}

TEST(Quantize, MoreColoursNeverFitWorse) {
  double previous = 1e300;
  for (int k : {2, 8, 32, 128, 256}) {
    const quantize_result r = run(photo, k);
    expect_valid(r, photo.size(), k);
    EXPECT_LT(r.wcss, previous) << "k " << k;
    previous = r.wcss;
  }
}

TEST(Quantize, AlphaIsClusteredAsAFourthChannel) {
  std::vector<packed_rgba> pixels = testing::random_pixels(20000, 4, true);
  collapse_transparent(pixels.data(), pixels.size());
  const quantize_result r = run(pixels, 16);
  expect_valid(r, pixels.size(), 16);
  for (std::size_t j = 1; j < r.palette.size(); ++j) {
    if (alpha_of(r.palette[j]) == 255) continue;
    EXPECT_LE(alpha_of(r.palette[j - 1]), alpha_of(r.palette[j])) << "translucent entries by alpha, first";
  }
}

TEST(Quantize, RejectsEmptyImagesAndBadK) {
  EXPECT_THROW(run({}, 4), error);
  EXPECT_THROW(run(photo, 0), error);
  EXPECT_THROW(run(photo, 257), error);
}

}  // namespace
}  // namespace kmq
