// The HTML report's preview pieces (fit, box filter, labels, sample, worst region) and their RGBA PNG.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "kmq/error.hpp"
#include "kmq/io/rgba_png.hpp"
#include "kmq/random.hpp"
#include "preview.hpp"

namespace kmq {
namespace {

// ---- the previews' pieces ---------------------------------------------------------

TEST(ReportPreview, FitsWithinTheSideKeepingTheAspectRatio) {
  EXPECT_EQ(report::fit_within(512, 480, 1024).width, 512u);  // fits already
  const report::extent uhd = report::fit_within(3840, 2160, 1024);
  EXPECT_EQ(uhd.width, 1024u);
  EXPECT_EQ(uhd.height, 576u);
  const report::extent tall = report::fit_within(100, 100000, 1024);
  EXPECT_EQ(tall.height, 1024u);
  EXPECT_EQ(tall.width, 1u);  // never 0
}

TEST(ReportPreview, BoxFilterAveragesEachBlockWeightedByAlpha) {
  // 4x2 -> 2x1: each preview pixel is the mean of a 2x2 block.
  const std::vector<packed_rgba> pixels{pack_rgba(0, 0, 0, 255),   pack_rgba(100, 10, 4, 255),
                                        pack_rgba(255, 0, 0, 255), pack_rgba(255, 0, 0, 0),
                                        pack_rgba(200, 30, 8, 255), pack_rgba(100, 0, 0, 255),
                                        pack_rgba(255, 0, 0, 0),   pack_rgba(255, 0, 0, 0)};
  const auto out = report::box_downscale(pixels, {4, 2}, {2, 1});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], pack_rgba(100, 10, 3, 255));
  // Three transparent pixels add no colour: red, at a quarter of the opacity.
  EXPECT_EQ(out[1], pack_rgba(255, 0, 0, 64));
}

TEST(ReportPreview, NearestLabelsAndBoundaries) {
  label_map labels{4, 4, {0, 0, 1, 1,  //
                          0, 0, 1, 1,  //
                          2, 2, 3, 3,  //
                          2, 2, 3, 3}};
  const label_map half = report::nearest_labels(labels, {2, 2});
  EXPECT_EQ(half.indices, (std::vector<std::uint8_t>{0, 1, 2, 3}));
  const label_map edges = report::cluster_boundaries(labels);
  EXPECT_EQ(edges.indices, (std::vector<std::uint8_t>{0, 1, 0, 0,  //
                                                      1, 1, 1, 1,  //
                                                      0, 1, 0, 0,  //
                                                      0, 1, 0, 0}));
}

TEST(ReportPreview, SampleIsBoundedDeterministicAndSkipsTransparentPixels) {
  std::vector<packed_rgba> pixels(10000);
  label_map labels{100, 100, std::vector<std::uint8_t>(10000)};
  for (std::size_t i = 0; i < pixels.size(); ++i) {
    pixels[i] = pack_rgba(i % 256, 0, 0, i % 2 == 0 ? 255 : 0);
    labels.indices[i] = static_cast<std::uint8_t>(i % 7);
  }
  const report::pixel_sample a = report::sample_pixels(pixels, labels, 3000);
  const report::pixel_sample b = report::sample_pixels(pixels, labels, 3000);
  EXPECT_EQ(a.colours.size(), 3000u);
  EXPECT_EQ(a.population, 5000u);
  EXPECT_EQ(a.colours, b.colours);
  for (const packed_rgba c : a.colours) EXPECT_EQ(alpha_of(c), 255u);
  EXPECT_EQ(report::sample_pixels(pixels, labels, 1000000).colours.size(), 5000u);
}

TEST(ReportPreview, LargestErrorRegionFindsTheWorstWindow) {
  label_map labels{400, 300, std::vector<std::uint8_t>(400 * 300, 0)};
  std::vector<packed_rgba> pixels(400 * 300, pack_rgba(10, 10, 10, 255));
  for (std::uint32_t y = 200; y < 260; ++y)
    for (std::uint32_t x = 300; x < 380; ++x) pixels[std::size_t{y} * 400 + x] = pack_rgba(250, 250, 250, 255);
  const report::region r = report::largest_error_region(pixels, labels, {pack_rgba(10, 10, 10, 255)}, 160);
  EXPECT_EQ(r.width, 160u);
  EXPECT_EQ(r.height, 160u);
  EXPECT_LE(r.x, 300u);
  EXPECT_GE(r.x + r.width, 380u);
  EXPECT_LE(r.y, 200u);
  EXPECT_GE(r.y + r.height, 260u);
  EXPECT_LE(r.x + r.width, 400u);
  EXPECT_LE(r.y + r.height, 300u);
}

TEST(RgbaPng, ReadsBackExactlyWithAndWithoutAlpha) {
  seeded_random random(3);
  std::vector<packed_rgba> pixels(37 * 23);
  for (packed_rgba& p : pixels) p = static_cast<packed_rgba>(random.next());
  for (const bool alpha : {false, true}) {
    const std::vector<std::uint8_t> png = io::encode_rgba_png(pixels, 37, 23, alpha, 9);
    const cv::Mat image = cv::imdecode(
        cv::Mat(1, static_cast<int>(png.size()), CV_8U, const_cast<std::uint8_t*>(png.data())), cv::IMREAD_UNCHANGED);
    ASSERT_EQ(image.channels(), alpha ? 4 : 3);
    for (int y = 0; y < 23; ++y)
      for (int x = 0; x < 37; ++x) {
        const packed_rgba want = pixels[static_cast<std::size_t>(y) * 37 + static_cast<std::size_t>(x)];
        packed_rgba got;
        if (alpha) {
          const cv::Vec4b v = image.at<cv::Vec4b>(y, x);
          got = pack_rgba(v[2], v[1], v[0], v[3]);
        } else {
          const cv::Vec3b v = image.at<cv::Vec3b>(y, x);
          got = pack_rgba(v[2], v[1], v[0], 255);
        }
        ASSERT_EQ(got, alpha ? want : (want | 0xff000000u)) << x << "," << y;
      }
  }
  EXPECT_THROW(io::encode_rgba_png(pixels, 37, 22, false, 6), error);
  EXPECT_THROW(io::encode_rgba_png(pixels, 37, 23, false, 10), error);
}

}  // namespace
}  // namespace kmq
