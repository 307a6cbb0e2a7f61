#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <string>
#include <utility>

#include "kmq/error.hpp"
#include "kmq/metrics.hpp"
#include "test_support.hpp"

namespace kmq {
namespace {

TEST(Metrics, IdenticalImageIsPerfect) {
  const std::vector<packed_rgba> palette = {pack_rgba(0, 0, 0, 255), pack_rgba(255, 128, 3, 255)};
  std::vector<std::uint8_t> indices(30 * 20);
  std::vector<packed_rgba> original(indices.size());
  for (std::size_t p = 0; p < indices.size(); ++p) {
    indices[p] = static_cast<std::uint8_t>((p / 7) % 2);
    original[p] = palette[indices[p]];
  }
  const image_metrics m = measure_quantization(original.data(), indices.data(), palette, 30, 20);
  EXPECT_EQ(m.mse, 0.0);
  EXPECT_TRUE(std::isinf(m.psnr));
  EXPECT_DOUBLE_EQ(m.ssim, 1.0);
  EXPECT_EQ(m.channels, 3);
}

TEST(Metrics, KnownErrorGivesKnownMseAndPsnr) {
  // Every pixel off by 3 in red only: per-channel MSE over R,G,B = 9 / 3 = 3.
  const std::vector<packed_rgba> palette = {pack_rgba(103, 50, 50, 255)};
  const std::vector<packed_rgba> original(64, pack_rgba(100, 50, 50, 255));
  const std::vector<std::uint8_t> indices(64, 0);
  const image_metrics m = measure_quantization(original.data(), indices.data(), palette, 8, 8);
  EXPECT_DOUBLE_EQ(m.mse, 3.0);
  EXPECT_NEAR(m.psnr, 10 * std::log10(255.0 * 255.0 / 3.0), 1e-12);
  EXPECT_GT(m.ssim, 0.99);  // a uniform shift barely changes structure
}

TEST(Metrics, AlphaCountsWhenTheImageHasIt) {
  const std::vector<packed_rgba> palette = {pack_rgba(10, 10, 10, 100)};
  const std::vector<packed_rgba> original(4, pack_rgba(10, 10, 10, 104));
  const std::vector<std::uint8_t> indices(4, 0);
  const image_metrics m = measure_quantization(original.data(), indices.data(), palette, 2, 2);
  EXPECT_EQ(m.channels, 4);
  EXPECT_STREQ(m.error_space, "premultiplied_rgba");
  // Composited: each colour channel shows 10 * 104 / 255 against 10 * 100 / 255.
  const double shown = 10.0 * 4.0 / 255.0;
  EXPECT_DOUBLE_EQ(m.mse, (16.0 + 3 * shown * shown) / 4.0);
}

TEST(Metrics, ColourUnderLowAlphaCountsLittle) {
  // The same colour error at alpha 255 and at alpha 17: the second shows 15 times less.
  const std::vector<std::uint8_t> indices(2, 0);
  const std::vector<packed_rgba> faint = {pack_rgba(100, 0, 0, 17), pack_rgba(100, 0, 0, 17)};
  const image_metrics m = measure_quantization(faint.data(), indices.data(), {pack_rgba(130, 0, 0, 17)}, 2, 1);
  EXPECT_DOUBLE_EQ(m.mse, (30.0 * 17 / 255) * (30.0 * 17 / 255) / 4.0);
  const std::vector<packed_rgba> opaque = {pack_rgba(100, 0, 0, 255), pack_rgba(100, 0, 0, 17)};
  const image_metrics o = measure_quantization(opaque.data(), indices.data(), {pack_rgba(130, 0, 0, 255)}, 2, 1);
  EXPECT_STREQ(o.error_space, "premultiplied_rgba");
}

TEST(Metrics, SsimFallsWithStructureLossAndHandlesThinImages) {
  const std::vector<packed_rgba> original = testing::gradient_image(64, 64, 3);
  const std::vector<packed_rgba> flat = {pack_rgba(128, 128, 128, 255)};
  const std::vector<std::uint8_t> zeros(original.size(), 0);
  const image_metrics m = measure_quantization(original.data(), zeros.data(), flat, 64, 64);
  EXPECT_LT(m.ssim, 0.5);
  EXPECT_GT(m.mse, 100.0);
  for (auto [w, h] : {std::pair<std::uint32_t, std::uint32_t>{1, 1}, {1, 5000}, {5000, 1}, {9, 3}}) {
    const std::vector<packed_rgba> img(static_cast<std::size_t>(w) * h, pack_rgba(1, 2, 3, 255));
    const std::vector<std::uint8_t> idx(img.size(), 0);
    const image_metrics thin = measure_quantization(img.data(), idx.data(), {pack_rgba(1, 2, 3, 255)}, w, h);
    EXPECT_DOUBLE_EQ(thin.ssim, 1.0);
  }
  EXPECT_THROW(measure_quantization(nullptr, nullptr, flat, 0, 0), error);
}

// kmq's SSIM against scikit-image on committed fixtures (tests/data/ssim/):
// each holds an original (RGBA), a palette and one index a pixel.
// make_ssim_reference.py computed the expected values with numpy over exactly
// kmq's definition (luma of the premultiplied colour, uniform 8x8 windows at
// 0, 4, 8, ... plus one flush with the right and bottom edges, C1 =
// (0.01*255)^2, C2 = (0.03*255)^2, 1/N variances), after checking that same
// numpy code against skimage.metrics.structural_similarity to 1e-12 where
// skimage can express the definition (all 7x7 windows, uniform weights,
// use_sample_covariance=False). Both sides are double precision with the same
// luma arithmetic; only the order of the window sums differs (numpy sums
// pairwise), which moves the result by about 1e-13, so 1e-10 is tight and not
// flaky.
struct ssim_fixture {
  std::uint32_t width = 0, height = 0;
  std::vector<packed_rgba> original, palette;
  std::vector<std::uint8_t> indices;
};

ssim_fixture read_ssim_fixture(const std::string& name) {
  const char* root = std::getenv("KMQ_SOURCE_DIR");
  const std::string file = std::string(root ? root : ".") + "/tests/data/ssim/" + name + ".kmqssim";
  std::ifstream in(file, std::ios::binary);
  ssim_fixture f;
  std::string magic;
  std::size_t entries = 0;
  in >> magic >> f.width >> f.height >> entries;
  in.get();  // the newline
  if (!in || magic != "kmq-ssim") {
    ADD_FAILURE() << "cannot read " << file;
    return f;
  }
  const auto read_rgba = [&](std::vector<packed_rgba>& out, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
      unsigned char c[4];
      in.read(reinterpret_cast<char*>(c), 4);
      out.push_back(pack_rgba(c[0], c[1], c[2], c[3]));
    }
  };
  const std::size_t pixels = std::size_t{f.width} * f.height;
  read_rgba(f.original, pixels);
  read_rgba(f.palette, entries);
  f.indices.resize(pixels);
  in.read(reinterpret_cast<char*>(f.indices.data()), static_cast<std::streamsize>(pixels));
  EXPECT_TRUE(in) << file << " is cut short";
  EXPECT_EQ(in.peek(), std::ifstream::traits_type::eof()) << file << " has bytes left over";
  return f;
}

TEST(Metrics, SsimMatchesScikitImage) {
  const std::pair<const char*, double> expected[] = {
      // Printed by tests/data/ssim/make_ssim_reference.py (numpy 1.24.2, scikit-image 0.19.3).
      {"photo-61x47", 0.908848562501963},      // astronaut.png crop, 16 colours: 13 strides + a flush window
      {"alpha-29x18", 0.7255235870973834},     // translucent, flush windows both ways
      {"exact-16x12", 0.42528145071138113},    // windows end exactly at the edges
      {"thin-5x40", 0.12290925042308325},      // narrower than a window
      {"small-3x3", 0.76364005622418074},      // one 3x3 window
  };
  for (const auto& [name, want] : expected) {
    const ssim_fixture f = read_ssim_fixture(name);
    ASSERT_FALSE(f.original.empty()) << name;
    const image_metrics m = measure_quantization(f.original.data(), f.indices.data(), f.palette, f.width, f.height);
    EXPECT_NEAR(m.ssim, want, 1e-10) << name << ": kmq " << m.ssim;
  }
}

// The definition as one plain loop over the windows in doubles (kmq's code
// before its sums became exact integers): the same value to rounding.
double plain_ssim(const std::vector<packed_rgba>& original, const std::vector<std::uint8_t>& indices,
                  const std::vector<packed_rgba>& palette, std::uint32_t width, std::uint32_t height) {
  const auto luma = [](packed_rgba c) {
    const double y = 0.299 * channel_of(c, 0) + 0.587 * channel_of(c, 1) + 0.114 * channel_of(c, 2);
    return y * alpha_of(c) / 255.0;
  };
  const auto starts = [](std::uint32_t length, std::uint32_t window) {
    std::vector<std::uint32_t> s;
    if (length <= window) return std::vector<std::uint32_t>{0};
    for (std::uint32_t v = 0; v + window <= length; v += 4) s.push_back(v);
    if (s.back() + window != length) s.push_back(length - window);
    return s;
  };
  const std::uint32_t ww = std::min(width, 8u), wh = std::min(height, 8u);
  const auto xs = starts(width, ww), ys = starts(height, wh);
  const double c1 = (0.01 * 255) * (0.01 * 255), c2 = (0.03 * 255) * (0.03 * 255), n = double(ww) * wh;
  double total = 0.0;
  for (std::uint32_t y0 : ys) {
    for (std::uint32_t x0 : xs) {
      double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
      for (std::uint32_t y = y0; y < y0 + wh; ++y) {
        for (std::uint32_t x = x0; x < x0 + ww; ++x) {
          const double a = luma(original[std::size_t{y} * width + x]);
          const double b = luma(palette[indices[std::size_t{y} * width + x]]);
          sa += a;
          sb += b;
          saa += a * a;
          sbb += b * b;
          sab += a * b;
        }
      }
      const double ma = sa / n, mb = sb / n;
      const double va = saa / n - ma * ma, vb = sbb / n - mb * mb, cov = sab / n - ma * mb;
      total += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
    }
  }
  return total / (double(xs.size()) * double(ys.size()));
}

// Threads split the pixels and the windows; the sums are integers (MSE and
// each SSIM window) and the windows' values are added in one fixed order: the
// same bits on any thread count, and the plain loop's value to 1e-12. Sizes with flush windows at
// both edges, large enough that up to 16 threads each get work.
TEST(Metrics, SameBitsOnAnyThreadCount) {
  for (const bool alpha : {false, true}) {
    const std::uint32_t width = 523, height = 411;
    std::vector<packed_rgba> original = testing::gradient_image(width, height, 5);
    std::vector<packed_rgba> palette;
    for (std::uint32_t j = 0; j < 37; ++j)
      palette.push_back(pack_rgba(j * 7, 255 - j * 5, (j * 91) & 255, alpha ? 120 + j * 3 : 255));
    std::vector<std::uint8_t> indices(original.size());
    for (std::size_t p = 0; p < indices.size(); ++p) {
      indices[p] = static_cast<std::uint8_t>((channel_of(original[p], 0) / 8 + p % 3) % palette.size());
      if (alpha && p % 5 == 0) original[p] = (original[p] & 0x00ffffffu) | (static_cast<packed_rgba>(p % 251) << 24);
    }
    SCOPED_TRACE(alpha ? "with alpha" : "opaque");
    const image_metrics one = measure_quantization(original.data(), indices.data(), palette, width, height, 1);
    EXPECT_EQ(one.channels, alpha ? 4 : 3);
    EXPECT_NEAR(one.ssim, plain_ssim(original, indices, palette, width, height), 1e-12);
    EXPECT_LT(one.ssim, 0.99);  // the quantization is coarse: a test that can fail
    for (const int threads : {2, 3, 7, 16, 0}) {
      const image_metrics m = measure_quantization(original.data(), indices.data(), palette, width, height, threads);
      EXPECT_EQ(m.mse, one.mse) << threads << " threads";
      EXPECT_EQ(m.ssim, one.ssim) << threads << " threads";
      EXPECT_EQ(m.channels, one.channels) << threads << " threads";
    }
  }
}

// The SSIM sums are built from 4x4 pieces where windows allow and summed
// directly elsewhere (the flush window, images under 8 pixels along an axis):
// every combination gives the plain loop's value.
// A gradient of the given shape mapped onto nine grey-blue entries, the
// labels striped every `stripe` pixels so that no window is flat.
struct shape_case {
  std::vector<packed_rgba> palette, original;
  std::vector<std::uint8_t> indices;
};

shape_case striped_gradient(std::uint32_t width, std::uint32_t height, std::size_t stripe) {
  shape_case c;
  for (std::uint32_t j = 0; j < 9; ++j) c.palette.push_back(pack_rgba(j * 29, 200 - j * 17, (j * 53) & 255, 255));
  c.original = testing::gradient_image(width, height, 3);
  c.indices.resize(c.original.size());
  for (std::size_t p = 0; p < c.indices.size(); ++p)
    c.indices[p] = static_cast<std::uint8_t>((channel_of(c.original[p], 1) / 29 + p % stripe) % c.palette.size());
  return c;
}

TEST(Metrics, SsimOfEveryShapeMatchesThePlainLoop) {
  const std::vector<std::uint32_t> sizes = {1, 3, 7, 8, 9, 12, 13, 16, 18, 33};
  for (const std::uint32_t width : sizes) {
    for (const std::uint32_t height : sizes) {
      const shape_case c = striped_gradient(width, height, 2);
      const image_metrics m = measure_quantization(c.original.data(), c.indices.data(), c.palette, width, height, 1);
      EXPECT_NEAR(m.ssim, plain_ssim(c.original, c.indices, c.palette, width, height), 1e-12) << width << "x" << height;
    }
  }
}

// Windows are summed in blocks of 8192 columns, a row of windows after
// another within a block: rows that end in a block of the flush window alone
// (8197: its start, 8189, is not on a piece) or of a few windows (8205), with
// one row of windows or many (the band below reused), give the plain loop's
// value on one thread and the same bits on several.
TEST(Metrics, SsimAcrossColumnBlocksMatchesThePlainLoop) {
  for (const std::uint32_t width : {8197u, 8205u, 16400u}) {
    for (const std::uint32_t height : {1u, 9u, 12u, 33u}) {
      const shape_case c = striped_gradient(width, height, 3);
      const image_metrics one = measure_quantization(c.original.data(), c.indices.data(), c.palette, width, height, 1);
      EXPECT_NEAR(one.ssim, plain_ssim(c.original, c.indices, c.palette, width, height), 1e-12) << width << "x" << height;
      for (const int threads : {2, 3, 7}) {
        const image_metrics m = measure_quantization(c.original.data(), c.indices.data(), c.palette, width, height, threads);
        EXPECT_EQ(m.ssim, one.ssim) << width << "x" << height << ", " << threads << " threads";
      }
    }
  }
}

}  // namespace
}  // namespace kmq
