// Refining every restart and keeping the one of least refined error: the run
// kept is the one whose refinement alone gives the least error (the earlier
// on a tie), the result is the same on any thread count (the runs are refined
// side by side on threads) and without de-duplication, and the palette never
// has a higher error than refining only the run of least Lloyd error.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "../host/src/palette_refine.hpp"
#include "kmq/cpu_backend.hpp"
#include "kmq/kmeans.hpp"
#include "kmq/quantize.hpp"
#include "kmq/random.hpp"
#include "test_support.hpp"

namespace kmq {
namespace {

// A photo-like gradient with a soft alpha edge (many colours merge when
// premultiplied, so the refinement works on groups of equal values).
std::vector<packed_rgba> soft_gradient(std::uint32_t size, std::uint64_t seed) {
  std::vector<packed_rgba> pixels = testing::gradient_image(size, size, seed);
  for (std::uint32_t y = 0; y < size; ++y) {
    for (std::uint32_t x = 0; x < size; ++x) {
      const double r = std::hypot(x - size / 2.0, y - size / 2.0) / size;
      const double coverage = std::min(1.0, std::max(0.0, (0.48 - r) / 0.18));
      packed_rgba& p = pixels[y * size + x];
      p = (p & 0x00ffffffu) | (static_cast<std::uint32_t>(std::lround(coverage * 255)) << 24);
    }
  }
  collapse_transparent(pixels.data(), pixels.size());
  return pixels;
}

quantize_result quantize_with(const std::vector<packed_rgba>& pixels, std::uint32_t width, int k, int restarts,
                              bool dedupe, int threads) {
  quantize_options options;
  options.kmeans.k = k;
  options.kmeans.restarts = restarts;
  options.dedupe = dedupe;
  auto engine = make_cpu_backend(threads);
  return quantize(view_of(pixels.data(), width, static_cast<std::uint32_t>(pixels.size() / width)), options, *engine);
}

TEST(RefineBest, KeepsTheRunOfLeastRefinedError) {
  for (bool alpha : {false, true}) {
    const std::vector<packed_rgba> pixels = alpha ? soft_gradient(96, 3) : testing::gradient_image(120, 90, 4);
    const std::uint32_t width = alpha ? 96 : 120;
    auto engine = make_cpu_backend(2);
    const color_set colors =
        analyse_colors(view_of(pixels.data(), width, static_cast<std::uint32_t>(pixels.size() / width)), true, *engine, nullptr);
    kmeans_params params;
    params.k = 12;
    params.restarts = 4;
    const std::vector<kmeans_result> runs = run_kmeans_runs(*engine, colors.points(), colors.points_weights(), params);
    ASSERT_EQ(runs.size(), 4u);
    std::vector<const std::vector<float>*> all;
    std::vector<const std::vector<std::uint32_t>*> brought, none;
    std::vector<double> alone;
    for (const kmeans_result& run : runs) {
      all.push_back(&run.centroids);
      brought.push_back(&run.final_labels);
      none.push_back(nullptr);
      alone.push_back(detail::refine_best(colors.clustered_colors(), colors.straight_colors(), colors.points_weights(),
                                          {&run.centroids}, {nullptr}, params.k, *engine, true, colors.translucent(),
                                          !colors.translucent(), 1)
                          .second.rounded_wcss);
    }
    for (int threads : {1, 2, 3}) {
      // The labels the runs brought (side by side on two threads) are the
      // backend's for their centroids: the same refinement either way.
      const auto best = detail::refine_best(colors.clustered_colors(), colors.straight_colors(), colors.points_weights(),
                                            all, threads == 2 ? none : brought, params.k, *engine, true,
                                            colors.translucent(), !colors.translucent(), threads);
      std::size_t expected = 0;
      for (std::size_t r = 1; r < alone.size(); ++r) {
        if (alone[r] < alone[expected]) expected = r;
      }
      EXPECT_EQ(best.first, expected) << "alpha " << alpha << ", threads " << threads;
      EXPECT_EQ(best.second.rounded_wcss, alone[expected]);
    }
  }
}

TEST(RefineBest, SamePaletteOnAnyThreadCountAndWithoutDedupe) {
  for (bool alpha : {false, true}) {
    const std::vector<packed_rgba> pixels = alpha ? soft_gradient(128, 7) : testing::gradient_image(160, 120, 8);
    const std::uint32_t width = alpha ? 128 : 160;
    const quantize_result one = quantize_with(pixels, width, 16, 3, true, 1);
    for (auto [dedupe, threads] : {std::pair<bool, int>{true, 2}, {true, 5}, {false, 1}, {false, 3}}) {
      const quantize_result other = quantize_with(pixels, width, 16, 3, dedupe, threads);
      EXPECT_EQ(one.palette, other.palette) << "alpha " << alpha << ", dedupe " << dedupe << ", threads " << threads;
      EXPECT_EQ(one.wcss, other.wcss);
      EXPECT_EQ(one.best_restart, other.best_restart);
    }
  }
}

TEST(RefineBest, MoreRestartsNeverRefineWorse) {
  // Restart 0 of a 3-restart run is the 1-restart run, and the refined error
  // decides: the kept partition's refined error can only fall.
  const std::vector<packed_rgba> photo = testing::gradient_image(150, 100, 12);
  for (int k : {8, 16, 24}) {
    auto engine = make_cpu_backend(2);
    const color_set colors = analyse_colors(view_of(photo.data(), 150, 100), true, *engine, nullptr);
    kmeans_params params;
    params.k = k;
    params.restarts = 3;
    const std::vector<kmeans_result> runs = run_kmeans_runs(*engine, colors.points(), colors.points_weights(), params);
    std::vector<const std::vector<float>*> first = {&runs[0].centroids}, all;
    std::vector<const std::vector<std::uint32_t>*> labels;
    for (const kmeans_result& run : runs) {
      all.push_back(&run.centroids);
      labels.push_back(&run.final_labels);
    }
    const double one = detail::refine_best(colors.clustered_colors(), colors.straight_colors(), colors.points_weights(),
                                           first, {labels[0]}, k, *engine, true, false, true, 2)
                           .second.rounded_wcss;
    const double three = detail::refine_best(colors.clustered_colors(), colors.straight_colors(), colors.points_weights(),
                                             all, labels, k, *engine, true, false, true, 2)
                             .second.rounded_wcss;
    EXPECT_LE(three, one) << "k " << k;
  }
}

TEST(RefineBest, RoundedErrorIsTheErrorOfTheRoundedMeans) {
  // Host reference: every colour against its cluster's rounded mean.
  const std::vector<packed_rgba> photo = testing::gradient_image(120, 90, 21);
  auto engine = make_cpu_backend(2);
  const color_set colors = analyse_colors(view_of(photo.data(), 120, 90), true, *engine, nullptr);
  kmeans_params params;
  params.k = 10;
  const std::vector<kmeans_result> runs = run_kmeans_runs(*engine, colors.points(), colors.points_weights(), params);
  for (bool rounds_to_bytes : {false, true}) {
    const detail::refined_palette refined =
        detail::refine_best(colors.clustered_colors(), colors.straight_colors(), colors.points_weights(),
                            {&runs[0].centroids}, {&runs[0].final_labels}, params.k, *engine, true, false, rounds_to_bytes, 1)
            .second;
    if (!rounds_to_bytes) {
      EXPECT_EQ(refined.rounded_wcss, refined.wcss);
      continue;
    }
    double expected = 0.0;
    for (std::size_t i = 0; i < colors.straight_colors().size(); ++i) {
      const float* mean = &refined.centroids[refined.labels[i] * channels];
      for (int c = 0; c < channels; ++c) {
        const double off = channel_of(colors.straight_colors()[i], c) - std::lround(std::min(255.0f, std::max(0.0f, mean[c])));
        expected += colors.points_weights()[i] * off * off;
      }
    }
    EXPECT_GT(refined.rounded_wcss, refined.wcss);
    EXPECT_NEAR(refined.rounded_wcss, expected, expected * 1e-6);
  }
}

// A nearly grey ramp with +-2 of noise per channel: a palette of low error,
// where rounding the means to bytes is a real part of it.
std::vector<packed_rgba> noisy_grey_ramp(std::uint32_t width, std::uint32_t height, std::uint64_t seed) {
  seeded_random random(seed);
  std::vector<packed_rgba> pixels(static_cast<std::size_t>(width) * height);
  const auto noisy = [&](int value) {
    return static_cast<std::uint32_t>(std::clamp(value + static_cast<int>(random.below(5)) - 2, 0, 255));
  };
  for (std::uint32_t y = 0; y < height; ++y) {
    for (std::uint32_t x = 0; x < width; ++x) {
      const int value = static_cast<int>((x + y) * 255 / (width + height));
      pixels[static_cast<std::size_t>(y) * width + x] = pack_rgba(noisy(value), noisy(value), noisy(value), 255);
    }
  }
  return pixels;
}

TEST(RefineBest, KeepsTheRunOfLeastErrorAfterRounding) {
  const std::vector<packed_rgba> ramp = noisy_grey_ramp(160, 120, 3);
  auto engine = make_cpu_backend(2);
  const color_set colors = analyse_colors(view_of(ramp.data(), 160, 120), true, *engine, nullptr);
  kmeans_params params;
  params.k = 32;
  params.restarts = 8;
  const std::vector<kmeans_result> runs = run_kmeans_runs(*engine, colors.points(), colors.points_weights(), params);
  std::vector<const std::vector<float>*> all;
  std::vector<const std::vector<std::uint32_t>*> labels;
  std::size_t least_wcss = 0, least_rounded = 0;
  std::vector<double> wcss, rounded;
  for (const kmeans_result& run : runs) {
    all.push_back(&run.centroids);
    labels.push_back(&run.final_labels);
    const detail::refined_palette alone =
        detail::refine_best(colors.clustered_colors(), colors.straight_colors(), colors.points_weights(),
                            {&run.centroids}, {&run.final_labels}, params.k, *engine, true, false, true, 1)
            .second;
    wcss.push_back(alone.wcss);
    rounded.push_back(alone.rounded_wcss);
  }
  for (std::size_t r = 1; r < runs.size(); ++r) {
    if (wcss[r] < wcss[least_wcss]) least_wcss = r;
    if (rounded[r] < rounded[least_rounded]) least_rounded = r;
  }
  // The two orders disagree on this image, so the choice below is the key's.
  ASSERT_NE(least_wcss, least_rounded);
  for (int threads : {1, 2}) {
    EXPECT_EQ(detail::refine_best(colors.clustered_colors(), colors.straight_colors(), colors.points_weights(), all,
                                  labels, params.k, *engine, true, false, true, threads)
                  .first,
              least_rounded);
    // Where the palette is not the rounded means (oklab, alpha), the WCSS decides.
    EXPECT_EQ(detail::refine_best(colors.clustered_colors(), colors.straight_colors(), colors.points_weights(), all,
                                  labels, params.k, *engine, true, false, false, threads)
                  .first,
              least_wcss);
  }
}

TEST(RefineBest, ASmallClusteringRefinesEverySeeding) {
  // Under cheap_clustering_work: eight seedings and the variance split's run;
  // under refine_work each of them refined (not only the two of least Lloyd
  // error), the kept one that of least rounded error.
  for (std::uint64_t image : {33u, 34u, 35u}) {
    // Fewer colours than pixels, as a photo's 8-bit channels give.
    std::vector<packed_rgba> photo = testing::gradient_image(240, 180, image);
    for (packed_rgba& p : photo) p &= 0xfff0f0f0u;
    for (int k : {12, 16, 24}) {
      auto engine = make_cpu_backend(2);
      const color_set colors = analyse_colors(view_of(photo.data(), 240, 180), true, *engine, nullptr);
      ASSERT_TRUE(cheap_clustering(k, colors.distinct_colors(), false, photo.size())) << colors.distinct_colors();
      ASSERT_EQ(refined_runs(k, colors.distinct_colors(), false, cheap_restarts + 1), cheap_restarts + 1);
      quantize_options options;
      options.kmeans.k = k;
      options.kmeans.restarts = 0;
      const quantize_result automatic = quantize(colors, options, *engine, nullptr);
      EXPECT_EQ(automatic.restarts, cheap_restarts + 1);
      EXPECT_TRUE(automatic.split_run);
      kmeans_params params = options.kmeans;
      params.restarts = cheap_restarts;
      params.split_run = true;
      const std::vector<kmeans_result> runs = run_kmeans_runs(*engine, colors.points(), colors.points_weights(), params);
      std::vector<const std::vector<float>*> all;
      std::vector<const std::vector<std::uint32_t>*> labels;
      for (const kmeans_result& run : runs) {
        all.push_back(&run.centroids);
        labels.push_back(&run.final_labels);
      }
      const auto best = detail::refine_best(colors.clustered_colors(), colors.straight_colors(), colors.points_weights(),
                                            all, labels, params.k, *engine, true, false, true, 1);
      EXPECT_EQ(automatic.best_restart, static_cast<int>(best.first)) << "image " << image << ", k " << k;
    }
  }
}

}  // namespace
}  // namespace kmq
