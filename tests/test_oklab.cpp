// --space oklab: the fixed-point OKLab conversion round-trips every sRGB
// colour within a stated tolerance, the clustering in it is deterministic
// (any thread count, with or without de-duplication), it lowers the
// perceptual error it is for, and the option is checked.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <vector>

#include "kmq/backend_select.hpp"
#include "kmq/error.hpp"
#include "kmq/metrics.hpp"
#include "kmq/oklab.hpp"
#include "kmq/quantize.hpp"
#include "kmq/random.hpp"
#include "kmq/remap.hpp"
#include "test_support.hpp"

namespace kmq {
namespace {

int largest_channel_error(packed_rgba x, packed_rgba y) {
  int worst = 0;
  for (int c = 0; c < 4; ++c) worst = std::max(worst, std::abs(static_cast<int>(channel_of(x, c)) - static_cast<int>(channel_of(y, c))));
  return worst;
}

// Every sRGB colour (2^24; about 3 s on one core) to packed OKLab and back.
// Measured on all of them: ΔE_ok at most 0.0057 (1.4 steps of 1/255; a
// just-noticeable difference is about 0.02). In sRGB levels 79 % come back
// within 2 and 88 % within 4, but a channel near 0 beside a bright one can
// move by up to 29 levels (1 210 0 -> 24 210 0: under 1 % of the green's
// light, where the sRGB curve is steepest). Alpha is exact. The points stay
// inside the 8-bit range without clamping.
TEST(Oklab, EverySrgbColourRoundTripsWithinAStatedTolerance) {
  int worst = 0;
  double worst_delta_e = 0.0;
  std::uint64_t within_two = 0;
  for (std::uint32_t rgb = 0; rgb < (1u << 24); ++rgb) {
    const packed_rgba colour = rgb | (std::uint32_t{255} << 24);
    const oklab_color lab = to_oklab(colour);
    ASSERT_GE(lab.l * oklab_scale, -0.5);
    ASSERT_LE(lab.l * oklab_scale, 255.5);
    ASSERT_LT(std::abs(lab.a * oklab_scale), 127.0);
    ASSERT_LT(std::abs(lab.b * oklab_scale), 127.0);
    const packed_rgba back = from_oklab_fixed(to_oklab_fixed(colour));
    const int error = largest_channel_error(colour, back);
    worst = std::max(worst, error);
    within_two += error <= 2;
    worst_delta_e = std::max(worst_delta_e, delta_e_ok(colour, back));
  }
  EXPECT_LE(worst_delta_e, 0.0057);
  EXPECT_GT(worst_delta_e, 0.5 / oklab_scale);  // fixed point does lose something: the test can tell
  EXPECT_LE(worst, 29);
  EXPECT_GT(static_cast<double>(within_two), 0.79 * (1u << 24));
  const packed_rgba translucent = pack_rgba(10, 200, 30, 77);
  EXPECT_EQ(alpha_of(from_oklab_fixed(to_oklab_fixed(translucent))), 77u);
}

TEST(Oklab, KnownValuesAndDistance) {
  // White is L = 1, a = b = 0; black all 0 (Ottosson's reference values).
  const oklab_color white = to_oklab(pack_rgba(255, 255, 255, 255));
  EXPECT_NEAR(white.l, 1.0, 1e-6);
  EXPECT_NEAR(white.a, 0.0, 1e-6);
  EXPECT_NEAR(white.b, 0.0, 1e-6);
  EXPECT_EQ(to_oklab_fixed(pack_rgba(255, 255, 255, 255)), pack_rgba(255, 128, 128, 255));
  EXPECT_EQ(to_oklab_fixed(pack_rgba(0, 0, 0, 255)), pack_rgba(0, 128, 128, 255));
  const oklab_color red = to_oklab(pack_rgba(255, 0, 0, 255));  // 0.6280, 0.2249, 0.1258
  EXPECT_NEAR(red.l, 0.62796, 1e-4);
  EXPECT_NEAR(red.a, 0.22486, 1e-4);
  EXPECT_NEAR(red.b, 0.12585, 1e-4);
  EXPECT_NEAR(delta_e_ok(pack_rgba(0, 0, 0, 255), pack_rgba(255, 255, 255, 255)), 1.0, 1e-6);
  EXPECT_EQ(delta_e_ok(pack_rgba(9, 8, 7, 255), pack_rgba(9, 8, 7, 255)), 0.0);
}

TEST(Oklab, OptionIsParsedAndValidated) {
  EXPECT_EQ(parse_color_space("rgb"), color_space::rgb);
  EXPECT_EQ(parse_color_space("oklab"), color_space::oklab);
  EXPECT_STREQ(color_space_name(color_space::oklab), "oklab");
  EXPECT_THROW(parse_color_space("lab"), error);
  quantize_options options;
  EXPECT_EQ(options.space, color_space::rgb);  // the default stays MSE-optimal
  options.space = static_cast<color_space>(7);
  EXPECT_THROW(validate(options), error);
}

// A smooth photo-like image: gradients with noise (many distinct colours).
std::vector<packed_rgba> smooth_noise(std::uint32_t width, std::uint32_t height, std::uint32_t alpha = 255) {
  seeded_random random(11);
  std::vector<packed_rgba> pixels;
  for (std::uint32_t y = 0; y < height; ++y) {
    for (std::uint32_t x = 0; x < width; ++x) {
      const std::uint32_t noise = static_cast<std::uint32_t>(random.below(12));
      pixels.push_back(pack_rgba((x * 255) / width / 2 + noise, (y * 200) / height + noise / 2,
                                 ((x + y) * 60) / (width + height) + noise * 2, alpha));
    }
  }
  return pixels;
}

struct run_result {
  quantize_result q;
  std::vector<std::uint8_t> indices;
  image_metrics metrics;
};

run_result run(const std::vector<packed_rgba>& pixels, std::uint32_t width, color_space space, int threads,
               bool dedupe = true, int k = 16) {
  quantize_options options;
  options.kmeans.k = k;
  options.space = space;
  options.dedupe = dedupe;
  auto engine = make_cpu_backend(threads);
  const image_view image = view_of(pixels.data(), width, static_cast<std::uint32_t>(pixels.size() / width));
  run_result out;
  out.q = quantize(image, options, *engine);
  out.indices = remap(image, out.q, remap_options{}, *engine).indices;
  out.metrics = measure_quantization(pixels.data(), out.indices.data(), out.q.palette, image.width, image.height, 1, true);
  return out;
}

TEST(Oklab, ClusteringIsTheSameOnAnyThreadCountAndWithoutDedupe) {
  const std::vector<packed_rgba> pixels = smooth_noise(120, 90);
  const run_result one = run(pixels, 120, color_space::oklab, 1);
  ASSERT_EQ(one.q.space, color_space::oklab);
  for (const int threads : {2, 5}) {
    const run_result many = run(pixels, 120, color_space::oklab, threads);
    EXPECT_EQ(many.q.palette, one.q.palette) << threads;
    EXPECT_EQ(many.indices, one.indices) << threads;
  }
  const run_result every_pixel = run(pixels, 120, color_space::oklab, 2, false);
  EXPECT_EQ(every_pixel.q.palette, one.q.palette);
  EXPECT_EQ(every_pixel.indices, one.indices);
  EXPECT_EQ(every_pixel.q.wcss, one.q.wcss);
}

// What the mode is for: a lower ΔE_ok than clustering sRGB values, paid for
// in MSE; wcss and mse stay the sRGB error of the output.
TEST(Oklab, LowersThePerceptualErrorAndReportsTheSrgbError) {
  const std::vector<packed_rgba> pixels = smooth_noise(160, 120);
  const run_result rgb = run(pixels, 160, color_space::rgb, 2, true, 8);
  const run_result lab = run(pixels, 160, color_space::oklab, 2, true, 8);
  EXPECT_NE(lab.q.palette, rgb.q.palette);
  EXPECT_LT(lab.metrics.mean_delta_e_ok, rgb.metrics.mean_delta_e_ok);
  EXPECT_GT(lab.metrics.mse, rgb.metrics.mse);
  EXPECT_NEAR(lab.q.mse, lab.metrics.mse, 1e-9 * lab.metrics.mse);
  for (const packed_rgba entry : lab.q.palette) EXPECT_EQ(alpha_of(entry), 255u);
}

TEST(Oklab, ImagesWithAlphaOrFewColoursStayExact) {
  const std::vector<packed_rgba> faint = smooth_noise(40, 30, 128);
  const run_result translucent = run(faint, 40, color_space::oklab, 2);
  EXPECT_EQ(translucent.q.space, color_space::rgb);
  EXPECT_TRUE(std::isnan(translucent.metrics.mean_delta_e_ok));
  // Few colours: the lossless palette stays lossless.
  std::vector<packed_rgba> few;
  for (std::uint32_t i = 0; i < 200; ++i) few.push_back(pack_rgba(i % 7, (i % 5) * 3, 1 + i % 3, 255));
  const run_result lossless = run(few, 20, color_space::oklab, 2, true, 105);
  EXPECT_TRUE(lossless.q.lossless);
  EXPECT_EQ(lossless.metrics.mse, 0.0);
  EXPECT_EQ(lossless.metrics.mean_delta_e_ok, 0.0);
  const std::vector<std::uint8_t> indices(few.size(), 0);
  EXPECT_TRUE(std::isnan(measure_quantization(few.data(), indices.data(), {few[0]}, 20, 10).mean_delta_e_ok));
  EXPECT_GT(measure_quantization(few.data(), indices.data(), {few[0]}, 20, 10, 1, true).mean_delta_e_ok, 0.0);
}

// Entries come from the exact OKLab mean of their colours, not the fixed-point
// centroid: a colour that is a cluster of its own comes back exactly (its
// fixed-point round trip would move it: 250 2 250 comes back as 250 0 249).
TEST(Oklab, AColourAloneInItsClusterKeepsItsExactValue) {
  ASSERT_NE(from_oklab_fixed(to_oklab_fixed(pack_rgba(250, 2, 250, 255))), pack_rgba(250, 2, 250, 255));
  std::vector<packed_rgba> pixels = smooth_noise(60, 40);
  for (std::size_t i = 0; i < pixels.size(); i += 3) pixels[i] = pack_rgba(250, 2, 250, 255);
  const run_result lab = run(pixels, 60, color_space::oklab, 2, true, 8);
  ASSERT_EQ(lab.q.space, color_space::oklab);
  EXPECT_NE(std::find(lab.q.palette.begin(), lab.q.palette.end(), pack_rgba(250, 2, 250, 255)), lab.q.palette.end());
}

TEST(Oklab, ColourSetAndOptionsMustAgree) {
  const std::vector<packed_rgba> pixels = smooth_noise(30, 20);
  auto engine = make_cpu_backend(1);
  const color_set colors = analyse_colors(view_of(pixels.data(), 30, 20), true, *engine, nullptr, color_space::rgb);
  quantize_options options;
  options.space = color_space::oklab;
  EXPECT_THROW(quantize(colors, options, *engine, nullptr), error);
}

}  // namespace
}  // namespace kmq
