// Every backend against the CPU reference through the whole pipeline:
// quantize() and remap() give the same palette, indices, iterations, WCSS
// history and usage, on small and large images, with and without dedupe.
// Instantiated in test_backend_parity.cpp.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "backend_parity_test_support.hpp"
#include "kmq/backend.hpp"
#include "kmq/image_view.hpp"
#include "kmq/quantize.hpp"
#include "kmq/random.hpp"
#include "kmq/remap.hpp"
#include "test_support.hpp"

namespace kmq {
namespace {

using testing::clustered_with_noise;
using testing::posterised_pixels;
using namespace testing::backend_parity;

// ---- the whole pipeline --------------------------------------------------------

struct image_case {
  std::string name;
  std::vector<packed_rgba> pixels;
};

// The palette and the label map of one image, as the pipeline makes them:
// remap() right after quantize(), on the same backend (one row of pixels).
struct quantized : quantize_result {
  std::vector<std::uint8_t> indices;
};

quantized quantize_and_remap(const std::vector<packed_rgba>& pixels, const quantize_options& options,
                             backend& engine) {
  const image_view image = view_of(pixels.data(), static_cast<std::uint32_t>(pixels.size()), 1);
  quantized r;
  static_cast<quantize_result&>(r) = quantize(image, options, engine);
  r.indices = remap(image, r, remap_options{}, engine).indices;
  return r;
}

// An opaque grey image of about 200 levels.
std::vector<packed_rgba> grey_pixels(std::size_t count, std::uint64_t seed) {
  seeded_random random(seed);
  std::vector<packed_rgba> pixels(count);
  for (packed_rgba& p : pixels) {
    const auto v = static_cast<std::uint32_t>(random.below(200) + random.below(56));
    p = pack_rgba(v, v, v, 255);
  }
  return pixels;
}

// Split in two so that the device check can run the small ones under
// racecheck (which slows shared-memory work a hundredfold) within its limit.
std::vector<image_case> small_pipeline_images() {
  return {
      {"one pixel", {pack_rgba(200, 100, 50, 255)}},
      {"one colour", std::vector<packed_rgba>(1000, pack_rgba(10, 20, 30, 255))},
      {"255 px", clustered_with_noise(255, 5, false, 41)},
      {"257 px alpha", clustered_with_noise(257, 5, true, 42)},
      {"posterised", posterised_pixels(5000, 45)},
      {"grey", grey_pixels(5000, 46)},  // the exact grey palette (grey_palette.hpp), on the host for both
  };
}

std::vector<image_case> large_pipeline_images() {
  return {
      {"100003 px", clustered_with_noise(100003, 20, false, 43)},
      {"100003 px alpha", clustered_with_noise(100003, 20, true, 44)},
  };
}

void expect_same_quantize(const std::vector<image_case>& images, backend& reference, backend& tested) {
  for (const image_case& image : images) {
    for (const int k : {1, 2, 16, 64, 256}) {
      for (const bool dedupe : {true, false}) {
        // The biggest raw runs cost the most on the CPU; the step test covers them.
        if (!dedupe && image.pixels.size() > 100000 && k > 16) continue;
        quantize_options options;
        options.kmeans.k = k;
        options.kmeans.seed = 7;
        options.kmeans.max_iter = 15;
        // Restarts run on labels the previous run left behind: cover them once.
        options.kmeans.restarts = k == 16 ? 3 : 1;
        options.dedupe = dedupe;
        const std::string where = image.name + ", k=" + std::to_string(k) + (dedupe ? "" : ", no dedupe");
        const quantized want = quantize_and_remap(image.pixels, options, reference);
        const quantized got = quantize_and_remap(image.pixels, options, tested);
        ASSERT_EQ(want.palette, got.palette) << where;
        ASSERT_EQ(want.indices, got.indices) << where;
        EXPECT_EQ(want.iterations, got.iterations) << where;
        EXPECT_EQ(want.wcss_history(), got.wcss_history()) << where;
        EXPECT_EQ(want.usage, got.usage) << where;
        EXPECT_EQ(want.wcss, got.wcss) << where;
        EXPECT_EQ(want.mse, got.mse) << where;  // --dither fs damps by it: it must be the same bits too
      }
    }
  }
}

TEST_P(BackendParity, QuantizeGivesIdenticalPaletteAndIndices) {
  expect_same_quantize(small_pipeline_images(), *reference_, *tested_);
}

TEST_P(BackendParity, QuantizeOfLargeImagesGivesIdenticalPaletteAndIndices) {
  expect_same_quantize(large_pipeline_images(), *reference_, *tested_);
}

TEST_P(BackendParity, DedupeDoesNotChangeTheResult) {
  const auto image = clustered_with_noise(20011, 9, true, 77);
  for (const int k : {2, 16, 64}) {
    quantize_options options;
    options.kmeans.k = k;
    options.kmeans.seed = 3;
    options.kmeans.max_iter = 10;
    const quantized deduped = quantize_and_remap(image, options, *tested_);
    options.dedupe = false;
    const quantized raw = quantize_and_remap(image, options, *tested_);
    EXPECT_EQ(deduped.palette, raw.palette) << "k=" << k;
    EXPECT_EQ(deduped.indices, raw.indices) << "k=" << k;
  }
}

}  // namespace
}  // namespace kmq
