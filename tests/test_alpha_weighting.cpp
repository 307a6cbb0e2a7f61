// Images with alpha are clustered as they show composited (premultiplied
// colours): a faint pixel's colour weighs as little as it shows, the error
// reported is the composited one, lossless palettes stay lossless, and the
// result is the same with and without de-duplication and on any thread count.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

#include "../host/src/palette_polish.hpp"
#include "kmq/backend_select.hpp"
#include "kmq/metrics.hpp"
#include "kmq/quantize.hpp"
#include "kmq/random.hpp"
#include "kmq/remap.hpp"
#include "test_support.hpp"

namespace kmq {
namespace {

struct outcome {
  quantize_result q;
  std::vector<std::uint8_t> indices;
  image_metrics metrics;
};

outcome run(std::vector<packed_rgba> pixels, std::uint32_t width, int k, bool dedupe = true, int threads = 2,
            dither_method dither = dither_method::none) {
  collapse_transparent(pixels.data(), pixels.size());
  quantize_options options;
  options.kmeans.k = k;
  options.dedupe = dedupe;
  auto engine = make_cpu_backend(threads);
  const image_view image = view_of(pixels.data(), width, static_cast<std::uint32_t>(pixels.size() / width));
  outcome out;
  out.q = quantize(image, options, *engine);
  out.indices = remap(image, out.q, remap_options{dither}, *engine).indices;
  out.metrics = measure_quantization(pixels.data(), out.indices.data(), out.q.palette, image.width, image.height);
  return out;
}

// Half opaque red, half opaque blue, and a band of alpha 4 in random colours.
std::vector<packed_rgba> faint_noise(std::uint32_t width, std::uint32_t height) {
  seeded_random random(5);
  std::vector<packed_rgba> pixels;
  for (std::uint32_t y = 0; y < height; ++y) {
    for (std::uint32_t x = 0; x < width; ++x) {
      if (y < height / 3) {
        pixels.push_back(pack_rgba(static_cast<std::uint32_t>(random.below(256)), static_cast<std::uint32_t>(random.below(256)),
                                   static_cast<std::uint32_t>(random.below(256)), 4));
      } else {
        pixels.push_back(x < width / 2 ? pack_rgba(220, 20 + (x + y) % 4, 30, 255) : pack_rgba(20, 40, 200 + (x * y) % 3, 255));
      }
    }
  }
  return pixels;
}

TEST(AlphaWeighting, FaintColoursWeighAsLittleAsTheyShow) {
  // Straight RGBA would spend entries on the faint band's colours (they span
  // the whole cube); composited, the band is nearly black and the two opaque
  // fields get the entries they need.
  const std::vector<packed_rgba> pixels = faint_noise(60, 60);
  const outcome r = run(pixels, 60, 4);
  EXPECT_TRUE(r.q.premultiplied);
  EXPECT_STREQ(r.metrics.error_space, "premultiplied_rgba");
  int opaque = 0;
  for (packed_rgba entry : r.q.palette) opaque += alpha_of(entry) == 255;
  EXPECT_GE(opaque, 2) << "both opaque fields keep an entry of their own";
  EXPECT_LT(r.metrics.mse, 4.0) << "composited, the faint band costs almost nothing";
}

TEST(AlphaWeighting, TheReportedErrorIsTheCompositedOne) {
  std::vector<packed_rgba> pixels = faint_noise(40, 30);
  collapse_transparent(pixels.data(), pixels.size());
  const outcome r = run(pixels, 40, 6);
  double total = 0.0;
  for (std::size_t p = 0; p < pixels.size(); ++p) {
    const packed_rgba a = pixels[p], b = r.q.palette[r.indices[p]];
    for (int c = 0; c < 3; ++c) {
      const double d = (channel_of(a, c) * alpha_of(a) - static_cast<double>(channel_of(b, c)) * alpha_of(b)) / 255.0;
      total += d * d;
    }
    const double d = static_cast<double>(alpha_of(a)) - alpha_of(b);
    total += d * d;
  }
  EXPECT_NEAR(r.metrics.mse, total / (4.0 * pixels.size()), 1e-9);
  // quantize()'s own figure (what a --quality search judges a K by) is the
  // same error; its wcss counts it on rounded premultiplied colours.
  EXPECT_NEAR(r.q.mse, r.metrics.mse, 1e-12 * r.metrics.mse);
  EXPECT_NEAR(r.q.wcss / (4.0 * pixels.size()), r.metrics.mse, 0.5);
  const outcome pixel_by_pixel = run(pixels, 40, 6, false);
  EXPECT_NEAR(pixel_by_pixel.q.mse, pixel_by_pixel.metrics.mse, 1e-12 * r.metrics.mse);
}

TEST(AlphaWeighting, ALosslessPaletteStaysLossless) {
  // Two colours that premultiply to the same value at alpha 3: a palette that
  // holds every colour must still give each pixel its own.
  std::vector<packed_rgba> pixels = {pack_rgba(100, 0, 0, 3), pack_rgba(101, 0, 0, 3), pack_rgba(0, 0, 0, 0),
                                     pack_rgba(9, 9, 9, 255)};
  ASSERT_EQ(premultiply(pixels[0]), premultiply(pixels[1]));
  const outcome r = run(pixels, 2, 8);
  EXPECT_TRUE(r.q.lossless);
  EXPECT_FALSE(r.q.premultiplied);
  for (std::size_t p = 0; p < pixels.size(); ++p) EXPECT_EQ(r.q.palette[r.indices[p]], pixels[p]);
  EXPECT_EQ(r.metrics.mse, 0.0);
}

TEST(AlphaWeighting, MergedColoursNeverAskForMoreClustersThanPoints) {
  // 300 colours (no lossless K), of which premultiplying leaves fewer than K.
  std::vector<packed_rgba> pixels;
  for (std::uint32_t i = 0; i < 300; ++i) pixels.push_back(pack_rgba(i % 256, i / 256, 7, 1));
  pixels.push_back(pack_rgba(1, 2, 3, 255));
  pixels.push_back(pack_rgba(0, 0, 0, 0));
  const outcome r = run(pixels, 1, 64);
  EXPECT_TRUE(r.q.premultiplied);
  EXPECT_LE(r.q.palette.size(), 64u);
  EXPECT_LT(r.metrics.mse, 1.0);
}

std::vector<packed_rgba> soft_sprite(std::uint32_t side) {
  std::vector<packed_rgba> pixels;
  for (std::uint32_t y = 0; y < side; ++y) {
    for (std::uint32_t x = 0; x < side; ++x) {
      const double r = std::hypot(x - (side - 1) / 2.0, y - (side - 1) / 2.0);
      const double coverage = std::min(1.0, std::max(0.0, (0.45 * side - r) / (0.2 * side)));
      pixels.push_back(pack_rgba(30 + x, 250 - 2 * y, (x * y) % 200, static_cast<std::uint32_t>(std::lround(coverage * 255))));
    }
  }
  return pixels;
}

TEST(AlphaWeighting, SameBytesWithoutDedupeAndOnAnyThreadCount) {
  const std::vector<packed_rgba> sprite = soft_sprite(190);  // over 32768 colours: several threads take part
  for (dither_method dither : {dither_method::none, dither_method::floyd_steinberg}) {
    const outcome one = run(sprite, 190, 24, true, 1, dither);
    EXPECT_TRUE(one.q.premultiplied);
    for (auto [dedupe, threads] : {std::pair<bool, int>{true, 3}, {false, 1}, {false, 4}}) {
      const outcome other = run(sprite, 190, 24, dedupe, threads, dither);
      EXPECT_EQ(one.q.palette, other.q.palette);
      EXPECT_EQ(one.indices, other.indices);
      EXPECT_EQ(one.q.wcss, other.q.wcss);
    }
  }
}

TEST(AlphaWeighting, PolishingNeverRaisesTheErrorAndKeepsTheAlphaClasses) {
  int lower_for_running_on = 0;  // seeds where rounds past a 1e-3 gain lowered the error further
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    seeded_random random(seed);
    std::vector<packed_rgba> straight;
    std::vector<std::uint32_t> counts;
    for (int i = 0; i < 400; ++i) {
      const std::uint64_t kind = random.below(4);  // opaque, transparent or translucent
      packed_rgba c = testing::random_colour(random, true);
      if (kind == 0) c |= 0xff000000u;
      if (kind == 1) c = 0;
      straight.push_back(c);
      counts.push_back(1 + static_cast<std::uint32_t>(random.below(50)));
    }
    std::vector<packed_rgba> palette = {pack_rgba(0, 0, 0, 0), pack_rgba(200, 10, 10, 255), pack_rgba(10, 200, 10, 255),
                                        pack_rgba(90, 90, 90, 128), pack_rgba(30, 30, 200, 40)};
    std::vector<packed_rgba> clustered = straight;
    for (packed_rgba& c : clustered) c = premultiply(c);
    const auto nearest = [&](const std::vector<packed_rgba>& entries, std::vector<std::uint32_t>& labels) {
      std::uint64_t error = 0;
      labels.assign(clustered.size(), 0);
      for (std::size_t i = 0; i < clustered.size(); ++i) {
        for (std::uint32_t j = 1; j < entries.size(); ++j) {
          if (palette_distance(clustered[i], premultiply(entries[j])) < palette_distance(clustered[i], premultiply(entries[labels[i]]))) labels[i] = j;
        }
        error += std::uint64_t{counts[i]} * squared_distance(clustered[i], premultiply(entries[labels[i]]));
      }
      return error;
    };
    std::vector<std::uint32_t> labels;
    const std::uint64_t before = nearest(palette, labels);
    detail::polish_params rounds_only;
    rounds_only.swap_trials = 0;
    const std::vector<packed_rgba> rounded = detail::polish_palette(straight, clustered, counts, labels, palette, true, 1, rounds_only);
    const std::vector<packed_rgba> polished = detail::polish_palette(straight, clustered, counts, labels, palette, true, 1);
    EXPECT_EQ(polished, detail::polish_palette(straight, clustered, counts, labels, palette, true, 3));
    std::vector<std::uint32_t> after_labels;
    const std::uint64_t after_rounds = nearest(rounded, after_labels);
    EXPECT_LE(after_rounds, before) << "seed " << seed;
    detail::polish_params stop_early = rounds_only;
    stop_early.least_gain = 1e-3;
    const std::uint64_t after_early_stop =
        nearest(detail::polish_palette(straight, clustered, counts, labels, palette, true, 1, stop_early), after_labels);
    EXPECT_LE(after_rounds, after_early_stop) << "seed " << seed;
    lower_for_running_on += after_rounds < after_early_stop;
    EXPECT_LE(nearest(polished, after_labels), after_rounds) << "seed " << seed;  // the swaps keep only what lowers it
    const auto opaque = [](const std::vector<packed_rgba>& entries) {
      return std::count_if(entries.begin(), entries.end(), [](packed_rgba c) { return alpha_of(c) == 255; });
    };
    // The rounds keep every entry's alpha class; a swap may add an opaque
    // entry, never drop the transparent one or the last opaque one.
    EXPECT_EQ(std::count(rounded.begin(), rounded.end(), pack_rgba(0, 0, 0, 0)), 1);
    EXPECT_EQ(opaque(rounded), 2);
    EXPECT_EQ(std::count(polished.begin(), polished.end(), pack_rgba(0, 0, 0, 0)), 1);
    EXPECT_GE(opaque(polished), 1);
    EXPECT_LE(polished.size(), palette.size());
  }
  EXPECT_GT(lower_for_running_on, 0);
}

// An icon whose body is nearly opaque (alpha 245) with a few opaque colours:
// the clustering, blind to the alpha rule, leaves one opaque entry for all of
// them, which only a swap (a body entry given to the opaque colours) mends.
TEST(AlphaWeighting, PolishingSwapsEntriesToTheOpaqueColoursTheRuleStrands) {
  // A body of 51,200 distinct near-greys (about 45 k once premultiplied):
  // enough for the rounds to split over threads (the 1-, 3- and 4-thread
  // results below must be the same).
  std::vector<packed_rgba> straight = {pack_rgba(0, 0, 0, 0)};
  std::vector<std::uint32_t> counts = {5000};
  for (std::uint32_t v = 60; v < 220; ++v) {
    for (std::uint32_t tint = 0; tint < 320; ++tint) {
      straight.push_back(pack_rgba(v, v + tint % 20, v + tint / 20, 245));
      counts.push_back(1);
    }
  }
  for (packed_rgba c : {pack_rgba(250, 20, 20, 255), pack_rgba(20, 250, 20, 255), pack_rgba(20, 20, 250, 255),
                        pack_rgba(240, 240, 20, 255), pack_rgba(20, 230, 230, 255), pack_rgba(230, 20, 230, 255)}) {
    straight.push_back(c);
    counts.push_back(2000);
  }
  std::vector<packed_rgba> clustered = straight;
  for (packed_rgba& c : clustered) c = premultiply(c);
  std::vector<packed_rgba> palette = {pack_rgba(0, 0, 0, 0), pack_rgba(140, 130, 130, 255)};
  for (std::uint32_t v = 70; v < 220; v += 25) palette.push_back(pack_rgba(v, v, v, 245));
  std::vector<std::uint32_t> labels(clustered.size(), 0);
  for (std::size_t i = 0; i < clustered.size(); ++i) {
    for (std::uint32_t j = 1; j < palette.size(); ++j) {
      if (palette_distance(clustered[i], premultiply(palette[j])) < palette_distance(clustered[i], premultiply(palette[labels[i]]))) labels[i] = j;
    }
  }
  const auto error_of = [&](const std::vector<packed_rgba>& entries) {
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < clustered.size(); ++i) {
      std::uint32_t best = palette_distance(clustered[i], premultiply(entries[0]));
      for (const packed_rgba e : entries) best = std::min(best, palette_distance(clustered[i], premultiply(e)));
      EXPECT_LT(best, alpha_class_penalty);  // every colour has an entry of its class
      total += std::uint64_t{counts[i]} * best;
    }
    return total;
  };
  detail::polish_params rounds_only;
  rounds_only.swap_trials = 0;
  const std::vector<packed_rgba> rounded = detail::polish_palette(straight, clustered, counts, labels, palette, true, 1, rounds_only);
  const std::vector<packed_rgba> swapped = detail::polish_palette(straight, clustered, counts, labels, palette, true, 1);
  EXPECT_EQ(swapped, detail::polish_palette(straight, clustered, counts, labels, palette, true, 4));
  EXPECT_EQ(swapped, detail::polish_palette(straight, clustered, counts, labels, palette, true, 3));
  const auto opaque = [](const std::vector<packed_rgba>& entries) {
    return std::count_if(entries.begin(), entries.end(), [](packed_rgba c) { return alpha_of(c) == 255; });
  };
  EXPECT_EQ(opaque(rounded), 1);
  EXPECT_GE(opaque(swapped), 3);
  detail::polish_params too_many = {};
  too_many.swap_groups_limit = 1000;  // far fewer than its premultiplied values: no swaps
  EXPECT_EQ(detail::polish_palette(straight, clustered, counts, labels, palette, true, 1, too_many), rounded);
  EXPECT_LT(error_of(swapped), error_of(rounded) * 3 / 4);
  EXPECT_EQ(std::count(swapped.begin(), swapped.end(), pack_rgba(0, 0, 0, 0)), 1);
}

// A swap never gives up the transparent entry or the last opaque one, however
// little their one pixel each weighs against a heavy translucent colour that
// no entry serves.
TEST(AlphaWeighting, SwapsKeepTheEntriesTheAlphaRuleNeeds) {
  const std::vector<packed_rgba> straight = {pack_rgba(0, 0, 0, 0),         pack_rgba(200, 200, 200, 255),
                                             pack_rgba(250, 10, 10, 128),   pack_rgba(10, 250, 10, 128),
                                             pack_rgba(10, 10, 250, 128)};
  const std::vector<std::uint32_t> counts = {1, 1, 5000, 5000, 5000};
  std::vector<packed_rgba> clustered = straight;
  for (packed_rgba& c : clustered) c = premultiply(c);
  const std::vector<packed_rgba> palette = {pack_rgba(0, 0, 0, 0), pack_rgba(200, 200, 200, 255),
                                            pack_rgba(250, 10, 10, 128), pack_rgba(10, 250, 10, 128)};
  const std::vector<std::uint32_t> labels = {0, 1, 2, 3, 3};
  const std::vector<packed_rgba> polished = detail::polish_palette(straight, clustered, counts, labels, palette, true, 1);
  EXPECT_EQ(std::count(polished.begin(), polished.end(), pack_rgba(0, 0, 0, 0)), 1);
  EXPECT_EQ(std::count_if(polished.begin(), polished.end(), [](packed_rgba c) { return alpha_of(c) == 255; }), 1);
  EXPECT_EQ(polished.size(), 4u);
}

}  // namespace
}  // namespace kmq

namespace kmq {
namespace {

// K = 1 leaves no room for the alpha rule: the one entry serves every pixel,
// and it is the one of least composited error. Against a host search of the
// entries around it (every channel within 3) and the two the rule would
// have given: transparent black, and an opaque entry.
TEST(AlphaWeighting, OneEntryIsTheLeastCompositedErrorAndNeverHidesTheImage) {
  const auto composited_error = [](const std::vector<packed_rgba>& pixels, packed_rgba entry) {
    double total = 0.0;
    for (packed_rgba p : pixels) {
      for (int c = 0; c < 4; ++c) {
        const double a = c < 3 ? channel_of(p, c) * alpha_of(p) / 255.0 : alpha_of(p);
        const double b = c < 3 ? channel_of(entry, c) * alpha_of(entry) / 255.0 : alpha_of(entry);
        total += (a - b) * (a - b);
      }
    }
    return total / (4.0 * static_cast<double>(pixels.size()));
  };
  std::vector<packed_rgba> translucent_on_clear(64 * 16, pack_rgba(255, 0, 0, 200));
  for (std::size_t p = 0; p < translucent_on_clear.size(); p += 16) translucent_on_clear[p] = pack_rgba(0, 0, 0, 0);
  std::vector<packed_rgba> opaque_on_clear(40 * 10, pack_rgba(200, 100, 50, 255));
  for (std::size_t p = 0; p < 120; ++p) opaque_on_clear[p] = pack_rgba(0, 0, 0, 0);
  std::vector<packed_rgba> noise = faint_noise(30, 30);
  collapse_transparent(noise.data(), noise.size());
  for (const auto& [pixels, width] : {std::pair{translucent_on_clear, 64u}, std::pair{opaque_on_clear, 40u},
                                      std::pair{noise, 30u}}) {
    const outcome r = run(pixels, width, 1);
    ASSERT_EQ(r.q.palette.size(), 1u);
    const packed_rgba entry = r.q.palette[0];
    EXPECT_GT(alpha_of(entry), 0u) << "the image is not hidden";
    const double error = composited_error(pixels, entry);
    EXPECT_NEAR(r.metrics.mse, error, 1e-9 * error);
    for (int dr = -3; dr <= 3; ++dr) {
      for (int dg = -3; dg <= 3; ++dg) {
        for (int db = -3; db <= 3; ++db) {
          for (int da = -3; da <= 3; ++da) {
            const int v[4] = {static_cast<int>(channel_of(entry, 0)) + dr, static_cast<int>(channel_of(entry, 1)) + dg,
                              static_cast<int>(channel_of(entry, 2)) + db, static_cast<int>(alpha_of(entry)) + da};
            if (*std::min_element(v, v + 4) < 0 || *std::max_element(v, v + 4) > 255) continue;
            const packed_rgba other = pack_rgba(static_cast<std::uint32_t>(v[0]), static_cast<std::uint32_t>(v[1]),
                                                static_cast<std::uint32_t>(v[2]), static_cast<std::uint32_t>(v[3]));
            ASSERT_GE(composited_error(pixels, other), error * (1.0 - 1e-4)) << dr << dg << db << da;
          }
        }
      }
    }
    EXPECT_LT(error, composited_error(pixels, pack_rgba(0, 0, 0, 0)));
    EXPECT_LT(error, composited_error(pixels, (entry & 0x00ffffffu) | 0xff000000u));
  }
}

}  // namespace
}  // namespace kmq
