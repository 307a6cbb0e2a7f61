// image_decoder's straight alpha against Pillow's reading of the committed fixtures (tests/data/alpha/).
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "image_decode_test_support.hpp"

namespace kmq::io {
namespace {

namespace fs = std::filesystem;
using namespace kmq::io::testing;

// --- alpha against Pillow -------------------------------------------------

// tests/data/alpha/: one 5x2 RGBA picture (and a grey + alpha one) that
// Pillow wrote in every format it can give alpha to; make_alpha_fixtures.py
// made them and checked that Pillow reads each back as written.
const std::vector<packed_rgba> pillow_rgba = {
    pack_rgba(255, 255, 255, 128), pack_rgba(200, 100, 50, 0), pack_rgba(10, 20, 30, 1),
    pack_rgba(255, 0, 128, 254),   pack_rgba(17, 34, 51, 255), pack_rgba(0, 0, 0, 128),
    pack_rgba(123, 45, 67, 1),     pack_rgba(1, 2, 3, 200),    pack_rgba(250, 251, 252, 64),
    pack_rgba(99, 180, 7, 0)};
const std::vector<std::pair<std::uint32_t, std::uint32_t>> pillow_la = {
    {255, 128}, {200, 0}, {10, 1}, {128, 254}, {17, 255}, {0, 128}, {123, 1}, {1, 200}, {250, 64}, {99, 0}};

void expect_all_pixels(const decoded_image& image, const std::vector<packed_rgba>& want) {
  ASSERT_EQ(image.width, 5u);
  ASSERT_EQ(image.height, 2u);
  ASSERT_EQ(image.pixels.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    const packed_rgba got = image.pixels[i];
    EXPECT_EQ(got, want[i]) << "pixel " << i << ": got " << channel_of(got, 0) << "," << channel_of(got, 1) << ","
                            << channel_of(got, 2) << "," << alpha_of(got) << ", want " << channel_of(want[i], 0)
                            << "," << channel_of(want[i], 1) << "," << channel_of(want[i], 2) << ","
                            << alpha_of(want[i]);
  }
}

TEST(AlphaFixtures, EveryFormatGivesPillowsStraightAlphaExactly) {
  // A TIFF's alpha was premultiplied by OpenCV's libtiff RGBA path:
  // (255,255,255,128) came out (128,128,128,128).
  for (const char* name : {"rgba.png", "rgba.tif", "rgba-lzw.tif", "rgba-deflate.tif", "rgba-lossless.webp",
                           "rgba-v4.bmp"}) {
    SCOPED_TRACE(name);
    const decoded_image image = decode_image((data_dir() / "alpha" / name).string(), limit);
    EXPECT_TRUE(image.has_alpha);
    expect_all_pixels(image, pillow_rgba);
  }
}

TEST(AlphaFixtures, GreyAndAlphaKeepsItsAlpha) {
  std::vector<packed_rgba> want;
  for (const auto& [g, a] : pillow_la) want.push_back(pack_rgba(g, g, g, a));
  for (const char* name : {"la.png", "la.tif", "la-lzw.tif"}) {
    SCOPED_TRACE(name);
    const decoded_image image = decode_image((data_dir() / "alpha" / name).string(), limit);
    EXPECT_TRUE(image.has_alpha);
    expect_all_pixels(image, want);
  }
}

// A grey PNG's tRNS makes its key level transparent, as Pillow reads it
// (OpenCV ignores a tRNS on grey, and kmq followed it: those pixels came out
// opaque).
TEST(AlphaFixtures, GreyPngKeyIsTransparent) {
  const decoded_image image = decode_image((data_dir() / "alpha" / "grey-trns.png").string(), limit);
  std::vector<packed_rgba> want;
  for (std::size_t i = 0; i < pillow_la.size(); ++i) {
    const std::uint32_t g = (i == 1 || i == 7) ? 200 : pillow_la[i].first;
    want.push_back(pack_rgba(g, g, g, g == 200 ? 0 : 255));
  }
  EXPECT_TRUE(image.has_alpha);
  expect_all_pixels(image, want);
}

// A 32-bit BI_RGB BMP has no alpha by the format: Pillow writes RGBA so but
// reads the file back as opaque RGB, and so do we.
TEST(AlphaFixtures, BiRgbBmpIsOpaqueAsPillowReadsIt) {
  const decoded_image image = decode_image((data_dir() / "alpha" / "rgba-bi-rgb.bmp").string(), limit);
  std::vector<packed_rgba> want;
  for (const packed_rgba p : pillow_rgba) want.push_back(pack_rgba(channel_of(p, 0), channel_of(p, 1), channel_of(p, 2), 255));
  EXPECT_FALSE(image.has_alpha);
  expect_all_pixels(image, want);
}

}  // namespace
}  // namespace kmq::io
