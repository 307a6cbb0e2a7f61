#include <gtest/gtest.h>

#include <cmath>

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
  EXPECT_DOUBLE_EQ(m.mse, 16.0 / 4.0);
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

}  // namespace
}  // namespace kmq
