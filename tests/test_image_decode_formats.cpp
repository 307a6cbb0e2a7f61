// image_decoder turns every accepted kind of PNG, JPEG, WebP, TIFF and BMP into the right RGBA pixels.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "image_decode_test_support.hpp"
#include "kmq/io/image_header.hpp"
#include "kmq/io/png_encoder.hpp"
#include "kmq/io/jpeg_check.hpp"

namespace kmq::io {
namespace {

namespace fs = std::filesystem;
using namespace kmq::io::testing;

packed_rgba pixel(const decoded_image& image, std::uint32_t x, std::uint32_t y) {
  return image.pixels.at(std::size_t{y} * image.width + x);
}

// Compares against a BGR(A) 8-bit Mat, exactly.
void expect_pixels(const decoded_image& image, const cv::Mat& bgr) {
  ASSERT_EQ(image.width, static_cast<std::uint32_t>(bgr.cols));
  ASSERT_EQ(image.height, static_cast<std::uint32_t>(bgr.rows));
  ASSERT_EQ(image.pixels.size(), std::size_t{image.width} * image.height);
  for (int y = 0; y < bgr.rows; ++y) {
    for (int x = 0; x < bgr.cols; ++x) {
      const std::uint8_t* p = bgr.ptr<std::uint8_t>(y) + std::size_t(x) * bgr.channels();
      const packed_rgba want = pack_rgba(p[2], p[1], p[0], bgr.channels() == 4 ? p[3] : 255);
      ASSERT_EQ(pixel(image, x, y), want) << x << "," << y;
    }
  }
}

// --- accepted inputs ------------------------------------------------------

TEST_F(ImageDecode, OnePixel) {
  cv::Mat one(1, 1, CV_8UC3, cv::Scalar(30, 20, 10));
  const std::string path = write("one.png", encode(".png", one));
  const decoded_image image = decode_image(path, limit);
  EXPECT_EQ(image.width, 1u);
  EXPECT_EQ(image.height, 1u);
  EXPECT_EQ(pixel(image, 0, 0), pack_rgba(10, 20, 30, 255));
  EXPECT_FALSE(image.has_alpha);
  EXPECT_EQ(image.file_bytes, fs::file_size(path));
}

TEST_F(ImageDecode, OneBy5000Strip) {
  const cv::Mat strip = noise_bgr(1, 5000);
  expect_pixels(decode_image(write("strip.png", encode(".png", strip)), limit), strip);
}

TEST_F(ImageDecode, SixteenBitGrayscaleIsRoundedToEight) {
  const std::vector<std::uint16_t> values = {0, 128, 129, 257, 32767, 32768, 65406, 65407, 65535};
  cv::Mat gray(1, static_cast<int>(values.size()), CV_16UC1);
  for (std::size_t i = 0; i < values.size(); ++i) gray.at<std::uint16_t>(0, static_cast<int>(i)) = values[i];
  const decoded_image image = decode_image(write("gray16.png", encode(".png", gray)), limit);
  const std::vector<std::uint32_t> want = {0, 0, 1, 1, 127, 128, 254, 255, 255};
  for (std::size_t i = 0; i < values.size(); ++i) {
    SCOPED_TRACE(values[i]);
    EXPECT_EQ(pixel(image, static_cast<std::uint32_t>(i), 0), pack_rgba(want[i], want[i], want[i], 255));
  }
  EXPECT_FALSE(image.has_alpha);
}

TEST_F(ImageDecode, SixteenBitRgbaTiff) {
  cv::Mat mat(2, 2, CV_16UC4, cv::Scalar(65535, 0, 257 * 100, 32768));
  const decoded_image image = decode_image(write("rgba16.tiff", encode(".tiff", mat)), limit);
  EXPECT_EQ(pixel(image, 1, 1), pack_rgba(100, 0, 255, 128));
  EXPECT_TRUE(image.has_alpha);
}

TEST_F(ImageDecode, RgbaPngWithGradientAlpha) {
  cv::Mat bgra(8, 32, CV_8UC4);
  for (int y = 0; y < bgra.rows; ++y)
    for (int x = 0; x < bgra.cols; ++x) bgra.at<cv::Vec4b>(y, x) = cv::Vec4b(x * 8, y * 30, 200, x * 8 + y);
  const decoded_image image = decode_image(write("alpha.png", encode(".png", bgra)), limit);
  EXPECT_TRUE(image.has_alpha);
  expect_pixels(image, bgra);
}

TEST_F(ImageDecode, GrayscaleJpegBecomesGrayRgb) {
  cv::Mat gray(8, 8, CV_8UC1, cv::Scalar(77));
  const decoded_image image = decode_image(write("gray.jpg", encode(".jpg", gray)), limit);
  const packed_rgba p = pixel(image, 3, 3);
  EXPECT_EQ(channel_of(p, 0), channel_of(p, 1));
  EXPECT_EQ(channel_of(p, 1), channel_of(p, 2));
  EXPECT_NEAR(static_cast<int>(channel_of(p, 0)), 77, 2);
  EXPECT_EQ(alpha_of(p), 255u);
}

TEST_F(ImageDecode, CmykAndYcckJpegs) {
  for (const char* name : {"cmyk.jpg", "ycck.jpg"}) {
    SCOPED_TRACE(name);
    // 16x8: the left half red, the right half blue (see tests/data/README.md).
    const decoded_image image = decode_image((data_dir() / name).string(), limit);
    ASSERT_EQ(image.width, 16u);
    ASSERT_EQ(image.height, 8u);
    const packed_rgba left = pixel(image, 3, 4), right = pixel(image, 12, 4);
    EXPECT_GE(channel_of(left, 0), 250u);
    EXPECT_LE(channel_of(left, 1), 5u);
    EXPECT_LE(channel_of(left, 2), 5u);
    EXPECT_LE(channel_of(right, 0), 5u);
    EXPECT_LE(channel_of(right, 1), 5u);
    EXPECT_GE(channel_of(right, 2), 250u);
    EXPECT_FALSE(image.has_alpha);
  }
}

TEST_F(ImageDecode, ExifOrientation6TurnsTheImageClockwise) {
  // 40 wide, 20 high, with a white 10x10 block in the top-left corner.
  cv::Mat mat(20, 40, CV_8UC3, cv::Scalar(0, 0, 0));
  mat(cv::Rect(0, 0, 10, 10)).setTo(cv::Scalar(255, 255, 255));
  const bytes plain = encode(".jpg", mat, {cv::IMWRITE_JPEG_QUALITY, 95});
  const decoded_image upright = decode_image(write("plain.jpg", plain), limit);
  EXPECT_EQ(upright.width, 40u);
  EXPECT_EQ(upright.height, 20u);

  const std::string path = write("rotated.jpg", with_exif_orientation(plain, 6));
  EXPECT_EQ(sniff_image_header(with_exif_orientation(plain, 6).data(), plain.size() + 36).width, 40u)
      << "the header keeps the stored size";
  const decoded_image turned = decode_image(path, limit);
  ASSERT_EQ(turned.width, 20u);
  ASSERT_EQ(turned.height, 40u);
  // Turned a quarter clockwise, the top-left corner lands top-right.
  EXPECT_GE(channel_of(pixel(turned, 15, 4), 0), 200u);
  EXPECT_LE(channel_of(pixel(turned, 4, 4), 0), 50u);
  EXPECT_LE(channel_of(pixel(turned, 15, 35), 0), 50u);
}

TEST_F(ImageDecode, PalettePngFromOurOwnWriter) {
  const std::vector<packed_rgba> palette = {pack_rgba(255, 0, 0, 255), pack_rgba(0, 255, 0, 128),
                                            pack_rgba(0, 0, 255, 0)};
  const std::vector<std::uint8_t> indices = {0, 1, 2, 2, 1, 0};
  const decoded_image image =
      decode_image(write("palette.png", encode_palette_png(palette, indices, 3, 2, default_png_level)), limit);
  ASSERT_EQ(image.pixels.size(), indices.size());
  for (std::size_t i = 0; i < indices.size(); ++i) EXPECT_EQ(image.pixels[i], palette[indices[i]]) << i;
  EXPECT_TRUE(image.has_alpha) << "a palette tRNS is alpha";

  const std::vector<packed_rgba> opaque = {pack_rgba(1, 2, 3, 255), pack_rgba(4, 5, 6, 255)};
  const decoded_image plain =
      decode_image(write("opaque.png", encode_palette_png(opaque, {1, 0}, 2, 1, default_png_level)), limit);
  EXPECT_EQ(plain.pixels, (std::vector<packed_rgba>{opaque[1], opaque[0]}));
  EXPECT_FALSE(plain.has_alpha);
}

TEST_F(ImageDecode, LosslessRoundTripsBmpTiffWebp) {
  const cv::Mat bgr = noise_bgr(33, 17);
  cv::Mat bgra;
  cv::cvtColor(bgr, bgra, cv::COLOR_BGR2BGRA);
  // No alpha of 0: lossless WebP may drop the colour of invisible pixels.
  bgra.forEach<cv::Vec4b>([](cv::Vec4b& p, const int* at) { p[3] = static_cast<std::uint8_t>(1 + at[1] * 7); });
  for (const char* ext : {".bmp", ".tiff", ".webp", ".png"}) {
    SCOPED_TRACE(ext);
    const std::vector<int> lossless = {cv::IMWRITE_WEBP_QUALITY, 101};
    const decoded_image rgb = decode_image(write(std::string("rgb") + ext, encode(ext, bgr, lossless)), limit);
    EXPECT_FALSE(rgb.has_alpha);
    expect_pixels(rgb, bgr);
    if (std::string(ext) == ".bmp") continue;  // OpenCV writes BMP without alpha
    const decoded_image rgba = decode_image(write(std::string("rgba") + ext, encode(ext, bgra, lossless)), limit);
    EXPECT_TRUE(rgba.has_alpha);
    expect_pixels(rgba, bgra);
  }
}

// An animated PNG (acTL before IDAT) and a multi-page TIFF give their first
// image, and say how many more there are (run_job() puts it in a notice).
TEST_F(ImageDecode, MoreFramesAndPagesAreCounted) {
  const cv::Mat bgr = noise_bgr(9, 7);
  bytes png = encode(".png", bgr);
  const decoded_image still = decode_image(write("still.png", png), limit);
  EXPECT_EQ(still.more_images, 0u);
  // acTL: 5 frames, played once, right after IHDR (8 + 25 bytes). Without
  // an fcTL before IDAT the image shown (the default image) is none of the
  // 5; with one it is the first.
  bytes actl, fctl;
  put_png_chunk(actl, "acTL", {0, 0, 0, 5, 0, 0, 0, 0});
  put_png_chunk(fctl, "fcTL", {0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 10, 0, 0});
  png.insert(png.begin() + 33, actl.begin(), actl.end());
  const decoded_image apart = decode_image(write("apart.png", png), limit);
  EXPECT_EQ(apart.pixels, still.pixels);
  EXPECT_EQ(apart.more_images, 5u);
  png.insert(png.begin() + 33 + static_cast<std::ptrdiff_t>(actl.size()), fctl.begin(), fctl.end());
  const decoded_image animated = decode_image(write("animated.png", png), limit);
  EXPECT_EQ(animated.pixels, still.pixels);
  EXPECT_EQ(animated.more_images, 4u);
  EXPECT_STREQ(animated.more_images_are, "frame");

  const std::string tiff = (dir_ / "pages.tif").string();
  ASSERT_TRUE(cv::imwrite(tiff, std::vector<cv::Mat>{bgr, noise_bgr(9, 7), noise_bgr(9, 7)}));
  const decoded_image pages = decode_image(tiff, limit);
  EXPECT_EQ(pages.pixels, still.pixels);
  EXPECT_EQ(pages.more_images, 2u);
  EXPECT_STREQ(pages.more_images_are, "page");
}

// A PNG's eXIf orientation turns it, as Chromium shows it and as Pillow's
// exif_transpose turns it (tests/data/exif/, written by make_exif_fixtures.py).
TEST(ImageDecodeExif, PngExifOrientationAsPillowAndBrowsersShowIt) {
  for (int orientation = 1; orientation <= 8; ++orientation) {
    SCOPED_TRACE(orientation);
    const fs::path dir = data_dir() / "exif";
    const std::string name = "orient-" + std::to_string(orientation);
    const decoded_image got = decode_image((dir / (name + ".png")).string(), limit);
    const decoded_image want = decode_image((dir / (name + ".expected.png")).string(), limit);
    EXPECT_EQ(got.width, want.width);
    EXPECT_EQ(got.height, want.height);
    EXPECT_EQ(got.pixels, want.pixels);
  }
}

// An animated WebP gives its first frame (OpenCV refused the file): the fuzz
// corpus holds one of two frames, the first the picture of its lossless seed.
TEST(ImageDecodeWebp, AnAnimatedOneGivesItsFirstFrame) {
  const auto seed = [](const std::string& name) {
    std::ifstream in((data_dir().parent_path() / "fuzz_corpus" / name).string(), std::ios::binary);
    const bytes file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return bytes(file.begin() + 4, file.end());  // the fuzz target's 4 bytes of options first
  };
  decoded_image animated = image_decoder().decode_bytes(seed("c-webp-animated.webp"), "animated.webp");
  decoded_image still = image_decoder().decode_bytes(seed("c-webp-lossless-alpha.webp"), "still.webp");
  EXPECT_EQ(animated.width, still.width);
  EXPECT_EQ(animated.height, still.height);
  // The canvas holds no colour under alpha 0; kmq collapses those pixels anyway.
  collapse_transparent(animated.pixels.data(), animated.pixels.size());
  collapse_transparent(still.pixels.data(), still.pixels.size());
  EXPECT_EQ(animated.pixels, still.pixels);
  EXPECT_EQ(animated.has_alpha, still.has_alpha);
  EXPECT_EQ(animated.more_images, 1u);
  EXPECT_STREQ(animated.more_images_are, "frame");
}

TEST_F(ImageDecode, JpegWithRestartMarkers) {
  const bytes jpeg = encode(".jpg", noise_bgr(64, 64), {cv::IMWRITE_JPEG_RST_INTERVAL, 1});
  EXPECT_TRUE(jpeg_structure_problem(jpeg.data(), jpeg.size()).empty());
  EXPECT_EQ(decode_image(write("rst.jpg", jpeg), limit).width, 64u);
}

}  // namespace
}  // namespace kmq::io
