#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "kmq/backend_select.hpp"
#include "kmq/error.hpp"
#include "kmq/quantize.hpp"
#include "kmq/remap.hpp"
#include "test_support.hpp"

namespace kmq {
namespace {

// The palette and the label map of one run, as the pipeline makes them.
struct quantized : quantize_result {
  std::vector<std::uint8_t> indices;
};

quantized run(const std::vector<packed_rgba>& pixels, int k, bool dedupe = true, int threads = 2,
              std::uint64_t seed = 0, init_method init = init_method::kmeanspp, int restarts = 1) {
  quantize_options options;
  options.kmeans.k = k;
  options.kmeans.restarts = restarts;
  options.kmeans.seed = seed;
  options.kmeans.init = init;
  options.dedupe = dedupe;
  auto engine = make_cpu_backend(threads);
  const image_view image = view_of(pixels.data(), static_cast<std::uint32_t>(pixels.size()), 1);
  quantized r;
  static_cast<quantize_result&>(r) = quantize(image, options, *engine);
  r.indices = remap(image, r, remap_options{}, *engine).indices;
  return r;
}

void expect_valid(const quantized& r, std::size_t pixel_count, int k) {
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

void expect_identical(const quantized& a, const quantized& b) {
  EXPECT_EQ(a.palette, b.palette);
  EXPECT_EQ(a.indices, b.indices);
  EXPECT_EQ(a.iterations, b.iterations);
  EXPECT_EQ(a.wcss_history(), b.wcss_history());
  EXPECT_EQ(a.usage, b.usage);
  EXPECT_EQ(a.wcss, b.wcss);
}

const std::vector<packed_rgba> photo = testing::gradient_image(160, 120, 9);

TEST(Quantize, SmallPalettesAreLossless) {
  const std::vector<packed_rgba> pixels = {pack_rgba(1, 2, 3, 255), pack_rgba(9, 9, 9, 255), pack_rgba(1, 2, 3, 255),
                                           pack_rgba(0, 0, 0, 0), pack_rgba(5, 6, 7, 128)};
  for (int k : {4, 5, 256}) {
    const quantized r = run(pixels, k);
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
  const quantized one = run({pack_rgba(4, 5, 6, 255)}, 16);
  EXPECT_EQ(one.palette, (std::vector<packed_rgba>{pack_rgba(4, 5, 6, 255)}));
  const quantized flat = run(std::vector<packed_rgba>(5000, pack_rgba(7, 7, 7, 255)), 1);
  EXPECT_EQ(flat.palette.size(), 1u);
  EXPECT_TRUE(flat.lossless);
}

TEST(Quantize, KOneGivesTheRoundedMeanColour) {
  const std::vector<packed_rgba> pixels = {pack_rgba(0, 0, 0, 255), pack_rgba(10, 20, 30, 255), pack_rgba(20, 40, 61, 255)};
  const quantized r = run(pixels, 1);
  EXPECT_EQ(r.palette, (std::vector<packed_rgba>{pack_rgba(10, 20, 30, 255)}));
  EXPECT_TRUE(r.converged);
}

TEST(Quantize, DedupeAndRawPixelsGiveIdenticalResults) {
  for (int k : {2, 16, 64}) {
    for (init_method init : {init_method::kmeanspp, init_method::random}) {
      const quantized a = run(photo, k, true, 2, 1, init);
      const quantized b = run(photo, k, false, 2, 1, init);
      expect_valid(a, photo.size(), k);
      expect_identical(a, b);
    }
  }
}

TEST(Quantize, ThreadCountNeverChangesTheResult) {
  const quantized one = run(photo, 32, true, 1);
  for (int threads : {2, 3, 7}) expect_identical(one, run(photo, 32, true, threads));
  expect_identical(run(photo, 32, false, 1), run(photo, 32, false, 5));
}

TEST(Quantize, RestartsKeepEveryInvariance) {
  const quantized one = run(photo, 24, true, 1, 3, init_method::kmeanspp, 4);
  expect_identical(one, run(photo, 24, false, 3, 3, init_method::kmeanspp, 4));
  expect_identical(one, run(photo, 24, true, 5, 3, init_method::kmeanspp, 4));
  EXPECT_LE(one.wcss, run(photo, 24, true, 2, 3).wcss * 1.001);
}

TEST(Quantize, ThreeSeedingsAboveK32KeepEveryInvariance) {
  // 2,000 distinct colours on 19,200 pixels: 5 colour-centroid pairs a pixel
  // at K=48, within seedings_work_per_pixel and above the cheap bound, so
  // --restarts auto runs three seedings; the output stays the same on any
  // thread count and without de-duplication.
  std::vector<packed_rgba> tiled(160 * 120);
  for (std::size_t i = 0; i < tiled.size(); ++i) {
    const std::uint32_t c = static_cast<std::uint32_t>(i % 2000);
    tiled[i] = 0xFF000000u | ((c % 50) * 5) | (((c / 50) * 6) << 8) | (((c * 7) % 256) << 16);
  }
  const quantized one = run(tiled, 48, true, 1, 0, init_method::kmeanspp, 0);
  ASSERT_EQ(one.distinct_colors, 2000u);
  EXPECT_EQ(one.restarts, small_palette_restarts);
  expect_valid(one, tiled.size(), 48);
  expect_identical(one, run(tiled, 48, true, 3, 0, init_method::kmeanspp, 0));
  expect_identical(one, run(tiled, 48, false, 2, 0, init_method::kmeanspp, 0));
  EXPECT_EQ(run(tiled, 65, true, 2, 0, init_method::kmeanspp, 0).restarts, 1);
}

TEST(Quantize, AutomaticRestartsFollowTheClusteringsCost) {
  // Colours (twice with alpha) times K at most 2^20 and at most two per
  // pixel: eight seedings at any K.
  const std::uint64_t many = std::uint64_t{1} << 30;
  EXPECT_TRUE(cheap_clustering(16, 65536, false, many));
  EXPECT_FALSE(cheap_clustering(16, 65537, false, many));
  EXPECT_TRUE(cheap_clustering(16, 32768, true, many));
  EXPECT_FALSE(cheap_clustering(16, 32769, true, many));
  EXPECT_TRUE(cheap_clustering(256, 4096, false, many));
  EXPECT_FALSE(cheap_clustering(256, 4097, false, many));
  // Many colours for the pixels (a small photo): its decode and encode are
  // cheaper than eight seedings would be.
  EXPECT_TRUE(cheap_clustering(16, 30000, false, 240000));
  EXPECT_FALSE(cheap_clustering(16, 30001, false, 240000));
  EXPECT_FALSE(cheap_clustering(16, 1000, true, 1999));
  EXPECT_EQ(automatic_restarts(16, 65536, false, many), cheap_restarts);
  EXPECT_EQ(automatic_restarts(256, 4096, false, many), cheap_restarts);
  EXPECT_EQ(automatic_restarts(16, 65537, false, many), 3);
  EXPECT_EQ(automatic_restarts(16, 32584, false, 135300), 3);  // chelsea: 3.85 per pixel
  // Above K=32, three seedings only for an opaque image of at most 4 MP and
  // at most 8 colour-centroid pairs a pixel, up to K=64.
  EXPECT_EQ(automatic_restarts(33, 65536, false, seedings_max_pixels), small_palette_restarts);
  EXPECT_EQ(automatic_restarts(33, 65536, false, seedings_max_pixels + 1), 1);
  EXPECT_EQ(automatic_restarts(33, 65536, false, many), 1);
  EXPECT_EQ(automatic_restarts(64, 150000, false, 1200000), small_palette_restarts);  // exactly 8 a pixel
  EXPECT_EQ(automatic_restarts(64, 150001, false, 1200000), 1);
  EXPECT_EQ(automatic_restarts(64, 171045, false, 262144), 1);  // baboon: 42 a pixel
  EXPECT_EQ(automatic_restarts(65, 65536, false, seedings_max_pixels), 1);
  EXPECT_EQ(automatic_restarts(64, 65536, true, seedings_max_pixels), 1);
  EXPECT_EQ(automatic_restarts(16, 40000, true, many), 3);
  EXPECT_EQ(automatic_restarts(16, (std::size_t{1} << 17) + 1, true, many), 1);
  // Both exceptions: the alpha one wins (a cheap clustering of many premultiplied colours).
  ASSERT_TRUE(cheap_clustering(2, (std::size_t{1} << 17) + 1, true, many));
  EXPECT_EQ(automatic_restarts(2, (std::size_t{1} << 17) + 1, true, many), 1);
  // A noise-like image of more than 2^20 colours: one seeding at any K.
  EXPECT_EQ(automatic_restarts(16, seedings_max_colors, false, many), 3);
  EXPECT_EQ(automatic_restarts(16, seedings_max_colors + 1, false, many), 1);
  EXPECT_EQ(automatic_restarts(2, seedings_max_colors + 1, false, std::uint64_t{1} << 21), 1);
  // The image unknown: as for one of many colours.
  EXPECT_EQ(automatic_restarts(16), 3);
  EXPECT_EQ(automatic_restarts(64), 1);
}

TEST(Quantize, RefinedRunsFollowTheRefinementsCost) {
  // As many as 2^21 colour-centroid pairs allow, at least two, at most all.
  EXPECT_EQ(refined_runs(16, 16384, false, 8), 8);  // 2^18 per run: all eight
  EXPECT_EQ(refined_runs(16, 16385, false, 8), 7);
  EXPECT_EQ(refined_runs(16, 16384, true, 8), 4);   // counted twice with alpha
  EXPECT_EQ(refined_runs(16, 65536, false, 8), 2);  // 2^20 per run
  EXPECT_EQ(refined_runs(64, 1000000, false, 3), 2);
  EXPECT_EQ(refined_runs(16, 100, false, 3), 3);
  EXPECT_EQ(refined_runs(16, 1000000, false, 1), 1);
  EXPECT_EQ(refined_runs(16, 0, false, 5), 5);
  EXPECT_EQ(refined_runs(16, 100, false, 0), 0);
  EXPECT_EQ(refined_runs(16, 100, false, -3), 0);
}

TEST(Quantize, TheFinalErrorIsTheExactErrorOfTheLabelMap) {
  const quantized r = run(photo, 16);
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
    const quantized r = run(photo, k);
    expect_valid(r, photo.size(), k);
    EXPECT_LT(r.wcss, previous) << "k " << k;
    previous = r.wcss;
  }
}

TEST(Quantize, AlphaIsClusteredAsAFourthChannel) {
  std::vector<packed_rgba> pixels = testing::random_pixels(20000, 4, true);
  collapse_transparent(pixels.data(), pixels.size());
  const quantized r = run(pixels, 16);
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

// Fully transparent and fully opaque pixels keep their alpha exactly, for any
// K >= 2 and dithering or not: an RGBA gradient and a sprite with a soft edge.
void expect_alpha_extremes_kept(const std::vector<packed_rgba>& input, std::uint32_t width, std::uint32_t height) {
  std::vector<packed_rgba> pixels = input;
  collapse_transparent(pixels.data(), pixels.size());
  for (int k : {2, 3, 4, 8, 16}) {
    for (dither_method dither : {dither_method::none, dither_method::floyd_steinberg}) {
      quantize_options options;
      options.kmeans.k = k;
      auto engine = make_cpu_backend(2);
      const image_view image = view_of(pixels.data(), width, height);
      const quantize_result q = quantize(image, options, *engine);
      remap_options how;
      how.dither = dither;
      const label_map labels = remap(image, q, how, *engine);
      for (std::size_t p = 0; p < pixels.size(); ++p) {
        const std::uint32_t a = alpha_of(pixels[p]);
        const std::uint32_t out = alpha_of(q.palette[labels.indices[p]]);
        if (a == 0) ASSERT_EQ(out, 0u) << "k " << k << " pixel " << p << " dither " << dither_method_name(dither);
        if (a == 255) ASSERT_EQ(out, 255u) << "k " << k << " pixel " << p << " dither " << dither_method_name(dither);
      }
    }
  }
}

TEST(Quantize, AlphaZeroAndFullStayExactOnAGradient) {
  const std::uint32_t width = 256, height = 32;
  std::vector<packed_rgba> pixels;
  for (std::uint32_t y = 0; y < height; ++y) {
    for (std::uint32_t x = 0; x < width; ++x) pixels.push_back(pack_rgba(200, 40 + y, 90, x));
  }
  expect_alpha_extremes_kept(pixels, width, height);
}

TEST(Quantize, AlphaZeroAndFullStayExactOnASprite) {
  // An opaque disc on a transparent field, with a soft rim of alpha 1..254.
  const std::uint32_t side = 96;
  std::vector<packed_rgba> pixels;
  for (std::uint32_t y = 0; y < side; ++y) {
    for (std::uint32_t x = 0; x < side; ++x) {
      const double dx = x - 47.5, dy = y - 47.5, r = std::sqrt(dx * dx + dy * dy);
      const double coverage = std::min(1.0, std::max(0.0, (40.0 - r) / 6.0));
      const auto alpha = static_cast<std::uint32_t>(std::lround(coverage * 255.0));
      pixels.push_back(pack_rgba(30 + x, 200 - y, 120, alpha));
    }
  }
  expect_alpha_extremes_kept(pixels, side, side);
}

TEST(Quantize, UsageCountsThePixelsOfEachEntry) {
  const quantized r = run(photo, 16);
  std::vector<std::uint64_t> counted(r.palette.size(), 0);
  for (std::uint8_t index : r.indices) ++counted[index];
  EXPECT_EQ(r.usage, counted);
}

TEST(Quantize, AStridedViewGivesTheSameAsAPackedOne) {
  const std::uint32_t width = 160, height = 120, stride = 173;
  std::vector<packed_rgba> padded(std::size_t{stride} * height, pack_rgba(255, 0, 255, 255));
  for (std::uint32_t y = 0; y < height; ++y) {
    std::copy(photo.begin() + std::ptrdiff_t{y} * width, photo.begin() + std::ptrdiff_t{y + 1} * width,
              padded.begin() + std::ptrdiff_t{y} * stride);
  }
  quantize_options options;
  options.kmeans.k = 16;
  auto engine = make_cpu_backend(2);
  const image_view view{padded.data(), width, height, stride};
  const quantize_result strided = quantize(view, options, *engine);
  const label_map labels = remap(view, strided, remap_options{}, *engine);
  const quantized packed = run(photo, 16, true, 2, 0, init_method::kmeanspp, 1);
  EXPECT_EQ(strided.palette, packed.palette);
  EXPECT_EQ(labels.indices, packed.indices);
}

TEST(Quantize, RemapRefusesABackendThatMovedOnToAnotherImage) {
  quantize_options options;
  options.kmeans.k = 8;
  auto engine = make_cpu_backend(1);
  const image_view image = view_of(photo.data(), 160, 120);
  const quantize_result first = quantize(image, options, *engine);
  const quantize_result second = quantize(image, options, *engine);
  EXPECT_THROW(remap(image, first, remap_options{}, *engine), error);
  EXPECT_NO_THROW(remap(image, second, remap_options{}, *engine));
  auto other = make_cpu_backend(1);
  EXPECT_THROW(remap(image, second, remap_options{}, *other), error);
  EXPECT_THROW(remap(view_of(photo.data(), 120, 160), second, remap_options{}, *engine), error);
}

// Records every callback; says stop after a given number of passes.
class recorder : public observer {
 public:
  explicit recorder(int stop_after_passes = -1) : stop_after_(stop_after_passes) {}
  bool on_stage(job_stage stage) override {
    stages.push_back(stage);
    return true;
  }
  bool on_iteration(const iteration_stats& pass) override {
    passes.push_back(pass);
    return stop_after_ < 0 || static_cast<int>(passes.size()) < stop_after_;
  }
  std::vector<job_stage> stages;
  std::vector<iteration_stats> passes;

 private:
  int stop_after_;
};

TEST(Quantize, TheObserverHearsEveryPassOfEveryRestart) {
  quantize_options options;
  options.kmeans.k = 16;
  options.kmeans.restarts = 3;
  auto engine = make_cpu_backend(2);
  recorder heard;
  const quantize_result r = quantize(view_of(photo.data(), 160, 120), options, *engine, &heard);
  ASSERT_FALSE(heard.passes.empty());
  EXPECT_EQ(heard.passes.front().restart, 0);
  EXPECT_EQ(heard.passes.back().restart, 2);
  // The result keeps the kept run's passes, exactly as they were heard.
  std::vector<iteration_stats> kept;
  for (const iteration_stats& pass : heard.passes) {
    if (pass.restart == r.best_restart) kept.push_back(pass);
  }
  ASSERT_EQ(kept.size(), r.passes.size());
  for (std::size_t i = 0; i < kept.size(); ++i) {
    EXPECT_EQ(kept[i].pass, static_cast<int>(i));
    EXPECT_EQ(kept[i].wcss, r.passes[i].wcss);
    EXPECT_EQ(kept[i].labels_changed, r.passes[i].labels_changed);
  }
  EXPECT_GT(r.passes.front().labels_changed, 0u);
  EXPECT_EQ(static_cast<int>(r.passes.size()), r.iterations);
  EXPECT_EQ(heard.stages.front(), job_stage::histogram);
  EXPECT_EQ(heard.stages.back(), job_stage::map);
}

TEST(Quantize, AnObserverCanCancel) {
  quantize_options options;
  options.kmeans.k = 16;
  auto engine = make_cpu_backend(2);
  recorder stop(2);
  try {
    quantize(view_of(photo.data(), 160, 120), options, *engine, &stop);
    FAIL() << "not cancelled";
  } catch (const error& e) {
    EXPECT_EQ(e.kind(), error_kind::cancelled);
  }
  EXPECT_EQ(stop.passes.size(), 2u);
}

}  // namespace
}  // namespace kmq
