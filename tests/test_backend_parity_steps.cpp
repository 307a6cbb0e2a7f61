// Every backend against the CPU reference, one Lloyd step at a time: the same
// step statistics (bit for bit, the farthest distance included), the same
// labels, ties to the lowest index; then the final assignment to a palette and
// the label map of every pixel. Instantiated in test_backend_parity.cpp.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "backend_parity_test_support.hpp"
#include "kmq/backend.hpp"
#include "kmq/color_histogram.hpp"
#include "kmq/random.hpp"
#include "test_support.hpp"

namespace kmq {
namespace {

using testing::clustered_with_noise;
using testing::random_colour;
using namespace testing::backend_parity;

void expect_same_stats(const step_stats& want, const step_stats& got, const std::string& where) {
  EXPECT_EQ(want.count, got.count) << where;
  EXPECT_EQ(want.sum, got.sum) << where;
  EXPECT_EQ(want.sq_norm, got.sq_norm) << where;
  EXPECT_EQ(want.changed, got.changed) << where;
  EXPECT_EQ(want.farthest, got.farthest) << where;
  std::uint32_t want_bits = 0, got_bits = 0;
  std::memcpy(&want_bits, &want.farthest_distance, sizeof want_bits);
  std::memcpy(&got_bits, &got.farthest_distance, sizeof got_bits);
  EXPECT_EQ(want_bits, got_bits) << where << ": farthest distance " << want.farthest_distance << " vs "
                                 << got.farthest_distance;
}

// Centroids for the next pass from integer statistics, as a Lloyd update does;
// an empty cluster keeps its place.
void update_centroids(const step_stats& stats, std::vector<float>& centroids) {
  for (std::size_t j = 0; j < stats.count.size(); ++j) {
    if (stats.count[j] == 0) continue;
    for (int c = 0; c < channels; ++c) {
      centroids[j * channels + c] =
          static_cast<float>(static_cast<double>(stats.sum[j * channels + c]) / static_cast<double>(stats.count[j]));
    }
  }
}

std::vector<float> centroids_from(const std::vector<packed_rgba>& colours, int k) {
  std::vector<float> centroids(static_cast<std::size_t>(k) * channels);
  for (int j = 0; j < k; ++j) {
    for (int c = 0; c < channels; ++c) {
      centroids[static_cast<std::size_t>(j) * channels + c] =
          static_cast<float>(channel_of(colours[static_cast<std::size_t>(j) % colours.size()], c));
    }
  }
  return centroids;
}

// ---- Lloyd steps -------------------------------------------------------------

void check_steps(backend& reference, backend& tested, const std::vector<packed_rgba>& points, int k,
                 const std::string& where) {
  std::vector<float> centroids = centroids_from(points, k);
  for (int iteration = 0; iteration < 4; ++iteration) {
    const step_stats want = reference.step(centroids.data(), k);
    const step_stats got = tested.step(centroids.data(), k);
    expect_same_stats(want, got, where + ", step " + std::to_string(iteration));
    ASSERT_EQ(reference.labels(), tested.labels()) << where << ", step " << iteration;
    update_centroids(want, centroids);
  }
}

TEST_P(BackendParity, StepStatisticsMatchReference) {
  for (const std::size_t count : {std::size_t{1}, std::size_t{255}, std::size_t{257}, std::size_t{100003}}) {
    for (const int k : {1, 2, 16, 64, 256}) {
      const bool alpha = (k % 2) == 0;
      const auto image = clustered_with_noise(count, 12, alpha, 100 + count + static_cast<std::size_t>(k));
      const std::string where = std::to_string(count) + " points, k=" + std::to_string(k);
      upload_both(image, std::vector<std::uint32_t>(image.size(), 1));
      check_steps(*reference_, *tested_, image, k, where + " (raw)");
      const color_histogram h = build_color_histogram(image.data(), image.size());
      upload_both(h.colors, h.counts);
      check_steps(*reference_, *tested_, h.colors, k, where + " (weighted)");
    }
  }
}

TEST_P(BackendParity, StepStatisticsMatchReferenceOnManyPoints) {
  // More points than one wave of the device's blocks covers, so every block
  // of the fused pass loops several times.
  const auto image = clustered_with_noise(600011, 12, true, 99);
  upload_both(image, std::vector<std::uint32_t>(image.size(), 1));
  for (const int k : {16, 64}) check_steps(*reference_, *tested_, image, k, "600011 points, k=" + std::to_string(k));
}

TEST_P(BackendParity, TiesGoToTheLowestIndex) {
  // Every point is exactly halfway between two centroids, and centroids repeat.
  std::vector<packed_rgba> points;
  for (std::uint32_t v = 0; v < 300; ++v) points.push_back(pack_rgba(v % 256, 10, 20, 255));
  const std::vector<std::uint32_t> weights(points.size(), 3);
  upload_both(points, weights);
  std::vector<float> centroids;
  for (int j = 0; j < 64; ++j) {
    const float r = static_cast<float>((j / 2) * 8) + 0.5f;  // pairs of equal centroids
    centroids.insert(centroids.end(), {r, 10.0f, 20.0f, 255.0f});
  }
  const step_stats want = reference_->step(centroids.data(), 64);
  const step_stats got = tested_->step(centroids.data(), 64);
  expect_same_stats(want, got, "ties");
  EXPECT_EQ(reference_->labels(), tested_->labels());
  // The same centroids again: no label moves.
  const step_stats again = tested_->step(centroids.data(), 64);
  EXPECT_EQ(again.changed, 0u);
}

TEST_P(BackendParity, FarthestPointTiesGoToTheLowestIndex) {
  // Two identical far points: the first must be reported. The second
  // centroid is nearer to nothing: an empty cluster, which is when the
  // farthest point is reported at all.
  std::vector<packed_rgba> points(1000, pack_rgba(0, 0, 0, 255));
  points[333] = points[777] = pack_rgba(255, 255, 255, 255);
  upload_both(points, std::vector<std::uint32_t>(points.size(), 1));
  const float centroids[8] = {0.0f, 0.0f, 0.0f, 255.0f, 0.0f, 0.0f, 0.0f, -2000.0f};
  const step_stats want = reference_->step(centroids, 2);
  const step_stats got = tested_->step(centroids, 2);
  expect_same_stats(want, got, "farthest");
  EXPECT_EQ(got.farthest, 333u);
}

// ---- final assignment and label map ------------------------------------------

TEST_P(BackendParity, PaletteAssignmentAndLabelMapMatchReference) {
  for (const std::size_t count : {std::size_t{1}, std::size_t{257}, std::size_t{100003}}) {
    const auto image = clustered_with_noise(count, 10, true, 500 + count);
    const color_histogram h = build_color_histogram(image.data(), image.size());
    upload_both(h.colors, h.counts);
    for (const int size : {1, 2, 16, 255, 256}) {
      seeded_random random(size);
      std::vector<packed_rgba> palette(static_cast<std::size_t>(size));
      for (auto& c : palette) c = random_colour(random, true);
      if (size > 2) palette[1] = palette[2];  // a duplicate entry: ties
      reference_->assign_to_palette(palette.data(), size);
      tested_->assign_to_palette(palette.data(), size);
      ASSERT_EQ(reference_->labels(), tested_->labels()) << count << " points, palette " << size;
      std::vector<std::uint8_t> want(image.size()), got(image.size());
      reference_->label_pixels(h.pixel_to_color.data(), image.size(), want.data());
      tested_->label_pixels(h.pixel_to_color.data(), image.size(), got.data());
      ASSERT_EQ(want, got) << count << " points, palette " << size;
    }
  }
}

}  // namespace
}  // namespace kmq
