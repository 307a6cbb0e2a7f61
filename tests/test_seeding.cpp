#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "kmq/backend_select.hpp"
#include "kmq/error.hpp"
#include "kmq/kmeans.hpp"
#include "test_support.hpp"

namespace kmq {
namespace {

struct prepared {
  std::vector<packed_rgba> points;
  std::vector<std::uint32_t> weights;
  std::unique_ptr<backend> engine;
};

prepared deduplicated(const std::vector<packed_rgba>& pixels, int threads = 2) {
  const color_histogram h = build_color_histogram(pixels.data(), pixels.size());
  prepared p{h.colors, h.counts, make_cpu_backend(threads)};
  p.engine->upload(p.points.data(), p.weights.data(), p.points.size());
  return p;
}

prepared raw(const std::vector<packed_rgba>& pixels) {
  const pixel_points e = expand_histogram(build_color_histogram(pixels.data(), pixels.size()));
  prepared p{e.points, std::vector<std::uint32_t>(e.points.size(), 1), make_cpu_backend(2)};
  p.engine->upload(p.points.data(), p.weights.data(), p.points.size());
  return p;
}

std::vector<packed_rgba> seed(prepared& p, int k, init_method init, std::uint64_t s) {
  return seed_centres(*p.engine, p.points, p.weights, k, init, s);
}

const std::vector<packed_rgba> image = testing::gradient_image(120, 90, 4);

TEST(Seeding, SameSeedSameCentresOtherSeedOtherCentres) {
  for (init_method init : {init_method::kmeanspp, init_method::random}) {
    prepared a = deduplicated(image), b = deduplicated(image, 1);
    const auto first = seed(a, 16, init, 11);
    EXPECT_EQ(first, seed(b, 16, init, 11));
    EXPECT_NE(first, seed(a, 16, init, 12));
  }
}

TEST(Seeding, CentresAreDistinctColoursOfTheImage) {
  prepared p = deduplicated(image);
  for (init_method init : {init_method::kmeanspp, init_method::random}) {
    const auto centres = seed(p, 64, init, 3);
    ASSERT_EQ(centres.size(), 64u);
    EXPECT_EQ(std::set<packed_rgba>(centres.begin(), centres.end()).size(), 64u);
    for (packed_rgba c : centres) EXPECT_TRUE(std::binary_search(p.points.begin(), p.points.end(), c));
  }
}

TEST(Seeding, PixelsAndTheirHistogramGiveTheSameCentres) {
  for (init_method init : {init_method::kmeanspp, init_method::random}) {
    prepared d = deduplicated(image), r = raw(image);
    EXPECT_EQ(seed(d, 32, init, 5), seed(r, 32, init, 5));
  }
}

TEST(Seeding, KEqualToTheDistinctColoursTakesThemAll) {
  const std::vector<packed_rgba> pixels = {1, 1, 1, 2, 3, 3, 0xff000000u};
  for (init_method init : {init_method::kmeanspp, init_method::random}) {
    prepared p = deduplicated(pixels);
    auto centres = seed(p, 4, init, 0);
    std::sort(centres.begin(), centres.end());
    EXPECT_EQ(centres, p.points);
    EXPECT_THROW(seed(p, 5, init, 0), error);
  }
}

TEST(Seeding, KMeansPlusPlusSpreadsCentresOverSeparateClusters) {
  const std::vector<packed_rgba> centres = {pack_rgba(20, 20, 20, 255), pack_rgba(230, 30, 30, 255),
                                            pack_rgba(30, 230, 30, 255), pack_rgba(30, 30, 230, 255)};
  prepared p = deduplicated(testing::clustered_pixels(centres, 2000, 6, 8));
  for (std::uint64_t s = 0; s < 10; ++s) {
    const auto picked = seed(p, 4, init_method::kmeanspp, s);
    std::set<int> clusters;
    for (packed_rgba c : picked) {
      for (std::size_t j = 0; j < centres.size(); ++j) {
        if (squared_distance(c, centres[j]) < 3 * 13 * 13) clusters.insert(static_cast<int>(j));
      }
    }
    EXPECT_EQ(clusters.size(), 4u) << "seed " << s;
  }
}

}  // namespace
}  // namespace kmq
