// --dither fs: Floyd–Steinberg remapping. Deterministic (any thread count,
// twice the same), valid, less banding than none on a smooth gradient, and
// clean at alpha's extremes.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <vector>

#include "../host/src/dither.hpp"
#include "kmq/backend_select.hpp"
#include "kmq/cpu_backend.hpp"
#include "kmq/error.hpp"
#include "kmq/quantize.hpp"
#include "kmq/remap.hpp"
#include "test_support.hpp"

namespace kmq {
namespace {

struct remapped {
  std::vector<packed_rgba> palette;
  std::vector<std::uint8_t> none;  // label map without dithering
  std::vector<std::uint8_t> fs;    // with Floyd–Steinberg
};

// quantize() on a CPU backend of `threads` threads, then both remaps.
remapped run(const image_view& image, int k, int threads = 2) {
  quantize_options options;
  options.kmeans.k = k;
  auto engine = make_cpu_backend(threads);
  const quantize_result palette = quantize(image, options, *engine);
  remapped r;
  r.palette = palette.palette;
  r.fs = remap(image, palette, remap_options{dither_method::floyd_steinberg}, *engine).indices;
  r.none = remap(image, palette, remap_options{dither_method::none}, *engine).indices;
  return r;
}

remapped run(const std::vector<packed_rgba>& pixels, std::uint32_t width, int k, int threads = 2) {
  return run(view_of(pixels.data(), width, static_cast<std::uint32_t>(pixels.size() / width)), k, threads);
}

std::vector<packed_rgba> colours_of(const std::vector<std::uint8_t>& labels, const std::vector<packed_rgba>& palette) {
  std::vector<packed_rgba> out(labels.size());
  for (std::size_t p = 0; p < labels.size(); ++p) out[p] = palette.at(labels[p]);
  return out;
}

// Mean absolute difference, over the pixels at least `radius` from every edge
// and the given channels, of two images each blurred by a (2 radius + 1)^2 box.
double blurred_difference(const std::vector<packed_rgba>& a, const std::vector<packed_rgba>& b, int width, int height,
                          int radius, int first_channel, int last_channel) {
  auto box = [&](const std::vector<packed_rgba>& image, int x, int y, int c) {
    double total = 0;
    for (int dy = -radius; dy <= radius; ++dy) {
      for (int dx = -radius; dx <= radius; ++dx) total += channel_of(image[(y + dy) * width + (x + dx)], c);
    }
    return total / ((2 * radius + 1) * (2 * radius + 1));
  };
  double total = 0;
  long samples = 0;
  for (int y = radius; y < height - radius; ++y) {
    for (int x = radius; x < width - radius; ++x) {
      for (int c = first_channel; c <= last_channel; ++c) {
        total += std::fabs(box(a, x, y, c) - box(b, x, y, c));
        ++samples;
      }
    }
  }
  return total / static_cast<double>(samples);
}

// A smooth horizontal colour ramp, no noise.
std::vector<packed_rgba> horizontal_gradient(int width, int height) {
  std::vector<packed_rgba> pixels;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const int t = 255 * x / (width - 1);
      pixels.push_back(pack_rgba(static_cast<std::uint32_t>(t), static_cast<std::uint32_t>(64 + t / 2),
                                 static_cast<std::uint32_t>(255 - t), 255));
    }
  }
  return pixels;
}

TEST(Dither, ParsesAndNamesItsMethods) {
  EXPECT_EQ(parse_dither_method("none"), dither_method::none);
  EXPECT_EQ(parse_dither_method("fs"), dither_method::floyd_steinberg);
  EXPECT_EQ(parse_dither_method("floyd-steinberg"), dither_method::floyd_steinberg);
  EXPECT_STREQ(dither_method_name(dither_method::none), "none");
  EXPECT_STREQ(dither_method_name(dither_method::floyd_steinberg), "fs");
  EXPECT_EQ(remap_options{}.dither, dither_method::none);
  try {
    parse_dither_method("ordered");
    FAIL() << "no error";
  } catch (const error& e) {
    EXPECT_EQ(e.kind(), error_kind::invalid_argument);
    EXPECT_STREQ(e.what(), "unknown --dither 'ordered' (expected none or fs)");
  }
  EXPECT_THROW(parse_dither_method("FS"), error);
  EXPECT_THROW(parse_dither_method(""), error);
}

TEST(Dither, SameLabelsTwiceAndWithAnyThreadCount) {
  const std::vector<packed_rgba> photo = testing::gradient_image(211, 97, 5);
  for (int k : {8, 64}) {
    const remapped one = run(photo, 211, k, 1);
    const remapped four = run(photo, 211, k, 4);
    const remapped again = run(photo, 211, k, 4);
    EXPECT_EQ(one.palette, four.palette);
    EXPECT_EQ(one.fs, four.fs);
    EXPECT_EQ(four.fs, again.fs);
    EXPECT_NE(one.fs, one.none) << "dithering changes some labels";
  }
}

TEST(Dither, EveryIndexIsInThePalette) {
  const std::vector<packed_rgba> noisy = testing::clustered_with_noise(40000, 12, true, 3);
  for (int k : {2, 16, 256}) {
    const remapped r = run(noisy, 200, k);
    ASSERT_EQ(r.fs.size(), noisy.size());
    for (std::uint8_t i : r.fs) ASSERT_LT(i, r.palette.size());
  }
}

TEST(Dither, LowersBandingOnASmoothGradient) {
  const int width = 384, height = 96;
  const std::vector<packed_rgba> ramp = horizontal_gradient(width, height);
  for (int k : {4, 8}) {
    const remapped r = run(ramp, width, k);
    const double none = blurred_difference(colours_of(r.none, r.palette), ramp, width, height, 4, 0, 2);
    const double fs = blurred_difference(colours_of(r.fs, r.palette), ramp, width, height, 4, 0, 2);
    std::printf("K=%d: mean |blur(output) - blur(input)| none %.3f, fs %.3f (%.2fx)\n", k, none, fs, fs / none);
    EXPECT_LT(fs, 0.6 * none) << "K=" << k;
  }
}

double mean_squared_error(const std::vector<packed_rgba>& a, const std::vector<packed_rgba>& b) {
  double total = 0;
  for (std::size_t p = 0; p < a.size(); ++p) {
    for (int c = 0; c < 3; ++c) {
      const double d = static_cast<double>(channel_of(a[p], c)) - channel_of(b[p], c);
      total += d * d;
    }
  }
  return total / (3.0 * static_cast<double>(a.size()));
}

// The diffusion is attenuated (14/16, and damped where the offset is large
// against the palette's own error): on a photo-like image the dithered error
// stays near the undithered one, where full-strength FS let it pile up to
// two or three times that (chelsea K=64: 15.4 undithered, 50.9 with it), and
// what a viewer sees from a distance (the blurred error) is still lower.
TEST(Dither, StaysNearTheUnditheredErrorOnAPhoto) {
  // Smooth shading in three directions with a little grain, as skin, sky and fur are.
  const int width = 256, height = 192;
  std::vector<packed_rgba> photo;
  std::uint32_t state = 7;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      state = state * 1664525u + 1013904223u;
      const int grain = static_cast<int>(state >> 29) - 4;
      const auto level = [&](double v) { return static_cast<std::uint32_t>(std::clamp(static_cast<int>(v) + grain, 0, 255)); };
      photo.push_back(pack_rgba(level(128 + 100 * std::sin(x / 40.0) * std::cos(y / 55.0)),
                                level(90 + 80 * std::sin((x + y) / 70.0)), level(60 + 50 * std::cos(x / 25.0 - y / 90.0)), 255));
    }
  }
  for (int k : {16, 64}) {
    const remapped r = run(photo, static_cast<std::uint32_t>(width), k);
    const std::vector<packed_rgba> none = colours_of(r.none, r.palette), fs = colours_of(r.fs, r.palette);
    const double none_mse = mean_squared_error(none, photo), fs_mse = mean_squared_error(fs, photo);
    const double none_blur = blurred_difference(none, photo, width, height, 3, 0, 2);
    const double fs_blur = blurred_difference(fs, photo, width, height, 3, 0, 2);
    std::printf("K=%d: MSE none %.2f, fs %.2f (%.2fx); blurred none %.3f, fs %.3f\n", k, none_mse, fs_mse,
                fs_mse / none_mse, none_blur, fs_blur);
    EXPECT_LT(fs_mse, 1.6 * none_mse) << "K=" << k;
    EXPECT_LT(fs_blur, none_blur) << "K=" << k;
  }
}

TEST(Dither, AlphaIsNeverDithered) {
  // One colour whose alpha ramps from 1 to 254: the palette holds a few alpha
  // levels of it, there is no colour error, and every pixel takes its nearest
  // level exactly as without dithering (no dotted rims, see dither.cpp).
  const int width = 300, height = 32;
  std::vector<packed_rgba> ramp;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      ramp.push_back(pack_rgba(200, 100, 50, static_cast<std::uint32_t>(1 + 253 * x / (width - 1))));
    }
  }
  const remapped r = run(ramp, width, 4);
  EXPECT_EQ(r.fs, r.none);
}

// A sprite: an opaque disc of gradient colours, a soft antialiased rim, and a
// fully transparent background.
std::vector<packed_rgba> sprite(int size) {
  std::vector<packed_rgba> pixels;
  const double centre = (size - 1) / 2.0, radius = size * 0.4;
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      const double d = std::hypot(x - centre, y - centre);
      const double coverage = std::clamp(radius - d, 0.0, 3.0) / 3.0;  // 3-pixel rim
      const auto a = static_cast<std::uint32_t>(std::lround(255 * coverage));
      const auto r = static_cast<std::uint32_t>(255 * x / (size - 1));
      const auto g = static_cast<std::uint32_t>(255 * y / (size - 1));
      pixels.push_back(pack_rgba(r, g, 160, a));
    }
  }
  collapse_transparent(pixels.data(), pixels.size());
  return pixels;
}

TEST(Dither, TransparentPixelsStayTransparentAndOpaqueOnesOpaque) {
  const int size = 160;
  const std::vector<packed_rgba> pixels = sprite(size);
  for (int k : {8, 16, 64}) {
    const remapped r = run(pixels, size, k);
    std::size_t transparent = 0, opaque = 0;
    // The least opaque entry that opaque pixels get: k-means mixes rim pixels
    // into the inside's clusters (alpha 252..254 here), and dithering must
    // not push opaque pixels any further than the nearest rule already does.
    std::uint32_t least_none = 255, least_fs = 255;
    for (std::size_t p = 0; p < pixels.size(); ++p) {
      const std::uint32_t a = alpha_of(pixels[p]);
      if (a == 0) {
        ++transparent;
        ASSERT_EQ(r.fs[p], r.none[p]) << "as without dithering";
        ASSERT_EQ(r.palette[r.fs[p]], 0u) << "the transparent entry";
      } else if (a == 255) {
        ++opaque;
        least_none = std::min(least_none, alpha_of(r.palette[r.none[p]]));
        least_fs = std::min(least_fs, alpha_of(r.palette[r.fs[p]]));
      }
    }
    EXPECT_GT(transparent, 5000u);
    EXPECT_GT(opaque, 5000u);
    EXPECT_GE(least_fs, least_none) << "K=" << k;
    EXPECT_GE(least_fs, 250u) << "K=" << k;
  }
}

// The alpha rule on a palette made by hand (detail::floyd_steinberg itself).
std::vector<std::uint8_t> dither_with(const std::vector<packed_rgba>& pixels, std::uint32_t width,
                                      const std::vector<packed_rgba>& palette) {
  std::vector<std::uint8_t> labels(pixels.size());
  detail::floyd_steinberg(view_of(pixels.data(), width, static_cast<std::uint32_t>(pixels.size() / width)),
                          palette.data(), static_cast<int>(palette.size()), false, 0.0, labels.data());
  return labels;
}

TEST(Dither, OpaquePixelsStayOpaqueBesideATranslucentBand) {
  // A translucent band (alpha 100, which the palette lacks) beside an opaque
  // red field: no alpha error leaves the band, so the field is never dithered
  // into the half-transparent red, and the band takes its nearest level.
  const std::uint32_t width = 64, height = 64;
  std::vector<packed_rgba> pixels;
  for (std::uint32_t y = 0; y < height; ++y) {
    for (std::uint32_t x = 0; x < width; ++x) pixels.push_back(pack_rgba(255, 0, 0, x < 8 ? 100 : 255));
  }
  const std::vector<packed_rgba> palette = {pack_rgba(255, 0, 0, 255), pack_rgba(255, 0, 0, 128), pack_rgba(255, 0, 0, 0)};
  const std::vector<std::uint8_t> labels = dither_with(pixels, width, palette);
  for (std::size_t p = 0; p < pixels.size(); ++p) ASSERT_EQ(labels[p], alpha_of(pixels[p]) == 255 ? 0 : 1) << "pixel " << p;
}

TEST(Dither, FaintPixelsSpreadLittleColour) {
  // A rim of faint green (alpha 20) pixels beside an opaque red field, on a
  // palette of red, yellow and transparent black. The rim maps to transparent
  // with a large green error; weighted by alpha it is 20/255 of that, and the
  // red field stays clean (the full error would print yellow speckles).
  const std::uint32_t width = 48, height = 48;
  std::vector<packed_rgba> pixels;
  for (std::uint32_t y = 0; y < height; ++y) {
    for (std::uint32_t x = 0; x < width; ++x) pixels.push_back(x < 4 ? pack_rgba(0, 255, 0, 20) : pack_rgba(255, 0, 0, 255));
  }
  const std::vector<packed_rgba> palette = {pack_rgba(255, 0, 0, 255), pack_rgba(255, 255, 0, 255), 0};
  const std::vector<std::uint8_t> labels = dither_with(pixels, width, palette);
  for (std::size_t p = 0; p < pixels.size(); ++p) {
    ASSERT_EQ(labels[p], alpha_of(pixels[p]) == 255 ? 0 : 2) << "pixel " << p;
  }
}

TEST(Dither, AlphaZeroPixelsNeitherTakeNorGiveError) {
  // A transparent hole in a field that dithers: its pixels take the nearest
  // entry of their own colour (even one that is not transparent black), and
  // the error around the hole does not reach them or pass through them.
  const std::uint32_t width = 40, height = 40;
  std::vector<packed_rgba> pixels;
  for (std::uint32_t y = 0; y < height; ++y) {
    for (std::uint32_t x = 0; x < width; ++x) {
      const bool hole = x >= 10 && x < 30 && y >= 10 && y < 30;
      pixels.push_back(hole ? pack_rgba(0, 0, 0, 0) : pack_rgba(128, 128, 128, 255));
    }
  }
  const std::vector<packed_rgba> palette = {pack_rgba(0, 0, 0, 255), pack_rgba(255, 255, 255, 255), pack_rgba(0, 0, 0, 0)};
  const std::vector<std::uint8_t> labels = dither_with(pixels, width, palette);
  std::size_t white = 0, grey = 0;
  for (std::size_t p = 0; p < pixels.size(); ++p) {
    if (alpha_of(pixels[p]) == 0) {
      ASSERT_EQ(labels[p], 2);
    } else {
      ++grey;
      white += labels[p] == 1;
    }
  }
  // Mid grey dithers to about half black, half white.
  EXPECT_NEAR(static_cast<double>(white) / static_cast<double>(grey), 128.0 / 255.0, 0.02);
}

TEST(Dither, ExactColoursGetNoNoise) {
  // One flat colour, in the palette: every pixel on it.
  const std::vector<packed_rgba> flat(120 * 80, pack_rgba(30, 140, 90, 255));
  const remapped one = run(flat, 120, 4);
  ASSERT_EQ(one.palette, (std::vector<packed_rgba>{pack_rgba(30, 140, 90, 255)}));
  for (std::uint8_t i : one.fs) ASSERT_EQ(i, 0);

  // Flat blocks of a few colours (alpha included), all in the palette
  // (lossless): no error anywhere, so the labels are exactly the undithered ones.
  const int width = 90, height = 60;
  const packed_rgba blocks[] = {pack_rgba(250, 10, 10, 255), pack_rgba(0, 0, 0, 0), pack_rgba(20, 200, 40, 128),
                                pack_rgba(5, 5, 250, 255), pack_rgba(128, 128, 128, 255), pack_rgba(255, 255, 0, 30)};
  std::vector<packed_rgba> pixels;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) pixels.push_back(blocks[(x / 30) + 3 * (y / 30)]);
  }
  const remapped r = run(pixels, width, 8);
  EXPECT_EQ(r.palette.size(), 6u);
  EXPECT_EQ(r.fs, r.none);
  for (std::size_t p = 0; p < pixels.size(); ++p) ASSERT_EQ(r.palette[r.fs[p]], pixels[p]);

  // A lossless palette of a noisy image: every wanted colour is exact.
  std::vector<packed_rgba> few = testing::posterised_pixels(150 * 40, 7);
  const remapped lossless = run(few, 150, 256);
  EXPECT_EQ(lossless.fs, lossless.none);
}

TEST(Dither, StridedViewsGiveThePackedResult) {
  const std::uint32_t width = 173, height = 71, stride = 180;
  const std::vector<packed_rgba> packed = testing::gradient_image(width, height, 8);
  std::vector<packed_rgba> padded = testing::random_pixels(std::size_t{stride} * height, 9, true);
  for (std::uint32_t y = 0; y < height; ++y) {
    std::copy(packed.begin() + y * width, packed.begin() + (y + 1) * width, padded.begin() + y * stride);
  }
  const remapped a = run(view_of(packed.data(), width, height), 16);
  const remapped b = run(image_view{padded.data(), width, height, stride}, 16);
  EXPECT_EQ(a.palette, b.palette);
  EXPECT_EQ(a.fs, b.fs);
}

TEST(Dither, RefusesAnUnknownMethod) {
  const std::vector<packed_rgba> pixels = testing::gradient_image(40, 30, 1);
  const image_view image = view_of(pixels.data(), 40, 30);
  auto engine = make_cpu_backend(1);
  quantize_options options;
  options.kmeans.k = 4;
  const quantize_result palette = quantize(image, options, *engine);
  EXPECT_THROW(remap(image, palette, remap_options{static_cast<dither_method>(7)}, *engine), error);
}

// Not a check (tests do not assert on time): the cost of the dithered remap
// of a 1280x720 photo-like image, printed for the record; bench/bench_dither
// measures 4K.
TEST(Dither, TimedRunForTheRecord) {
  const std::uint32_t width = 1280, height = 720;
  const std::vector<packed_rgba> pixels = testing::gradient_image(width, height, 4);
  const image_view image = view_of(pixels.data(), width, height);
  for (int k : {16, 256}) {
    auto engine = make_cpu_backend(0);
    quantize_options options;
    options.kmeans.k = k;
    options.kmeans.max_iter = 3;
    options.kmeans.restarts = 1;
    const quantize_result palette = quantize(image, options, *engine);
    const auto start = std::chrono::steady_clock::now();
    const label_map fs = remap(image, palette, remap_options{dither_method::floyd_steinberg}, *engine);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("fs remap %ux%u, K=%zu: %.3f s (1 thread)\n", width, height, palette.palette.size(), seconds);
    EXPECT_EQ(fs.indices.size(), pixels.size());
  }
}

}  // namespace
}  // namespace kmq
