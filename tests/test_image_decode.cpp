// decode_image: every accepted kind of input becomes the right RGBA pixels,
// and every bad one ends in the right exit code with a reason, not a crash.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "exit_codes.hpp"
#include "image_fixtures.hpp"
#include "image_header.hpp"
#include "image_io.hpp"
#include "jpeg_check.hpp"

namespace kmq::cli {
namespace {

namespace fs = std::filesystem;
using namespace kmq::cli::testing;

// decode_image hands OpenCV the first caller's limit, once per process; fix it
// here so the tests do not depend on which of them runs first.
const bool opencv_limit_fixed = [] { return ::setenv("OPENCV_IO_MAX_IMAGE_PIXELS", "1073741824", 1) == 0; }();

constexpr std::uint64_t limit = std::uint64_t{1} << 28;

fs::path data_dir() {
  if (const char* root = std::getenv("KMQ_SOURCE_DIR")) return fs::path(root) / "tests" / "data";
  return fs::path(__FILE__).parent_path() / "data";
}

class ImageDecode : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(opencv_limit_fixed);
    std::string pattern = (fs::temp_directory_path() / "kmq-decode-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const bytes& content) const {
    const fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(content.data()), static_cast<std::streamsize>(content.size()));
    return path.string();
  }

  fs::path dir_;
};

// Expects decode_image(path) to fail with code and a reason containing text.
void expect_failure(const std::string& path, exit_code code, const std::string& text,
                    std::uint64_t max_pixels = limit) {
  try {
    decode_image(path, max_pixels);
    ADD_FAILURE() << path << ": decoded, expected \"" << text << "\"";
  } catch (const failure& e) {
    EXPECT_EQ(e.code(), code) << e.message();
    EXPECT_EQ(e.path(), path);
    EXPECT_NE(e.message().find(text), std::string::npos) << e.message();
  }
}

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

// --- bad inputs -----------------------------------------------------------

TEST_F(ImageDecode, MissingFile) {
  expect_failure((dir_ / "nowhere.png").string(), exit_no_input, "No such file or directory");
}

TEST_F(ImageDecode, Directory) { expect_failure(dir_.string(), exit_no_input, "is a directory"); }

TEST_F(ImageDecode, EmptyFile) { expect_failure(write("empty.png", {}), exit_data, "empty file"); }

TEST_F(ImageDecode, TextNamedPng) {
  const std::string text = "this is not an image\n";
  expect_failure(write("text.png", bytes(text.begin(), text.end())), exit_data, "not a recognised image");
}

TEST_F(ImageDecode, EndlessStreamIsRefusedOnItsFirstBytes) {
  expect_failure("/dev/zero", exit_data, "not a recognised image");
}

TEST_F(ImageDecode, GifIsNamedAsUnsupported) {
  const bytes gif = {'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0, 0, 0, ';'};
  expect_failure(write("a.gif", gif), exit_data, "GIF is not supported");
}

TEST_F(ImageDecode, PngHeaderClaimingTenBillionPixels) {
  const std::string path = write("huge.png", png_claiming(100000, 100000));
  expect_failure(path, exit_data, "100000x100000");
  expect_failure(path, exit_data, "--max-pixels " + std::to_string(limit));
}

TEST_F(ImageDecode, JpegFrameHeaderClaimingTooManyPixels) {
  bytes jpeg = encode(".jpg", noise_bgr(16, 16));
  // Patch the SOF0 height and width to 60000 each.
  for (std::size_t i = 2; i + 9 < jpeg.size(); ++i) {
    if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xC0) {
      jpeg[i + 5] = jpeg[i + 7] = 60000 >> 8;
      jpeg[i + 6] = jpeg[i + 8] = 60000 & 255;
      break;
    }
  }
  expect_failure(write("huge.jpg", jpeg), exit_data, "60000x60000 = 3600000000 pixels");
}

TEST_F(ImageDecode, PixelLimitIsInclusive) {
  const std::string path = write("ten.png", encode(".png", noise_bgr(10, 10)));
  EXPECT_EQ(decode_image(path, 100).pixels.size(), 100u);
  expect_failure(path, exit_data, "10x10 = 100 pixels, more than --max-pixels 99", 99);
}

TEST_F(ImageDecode, TruncatedPng) {
  const bytes png = encode(".png", noise_bgr(64, 64));
  expect_failure(write("half.png", bytes(png.begin(), png.begin() + png.size() / 2)), exit_data, "cannot decode PNG");
  expect_failure(write("header.png", bytes(png.begin(), png.begin() + 20)), exit_data,
                 "truncated or corrupt PNG header");
}

TEST_F(ImageDecode, TruncatedJpeg) {
  const bytes jpeg = encode(".jpg", noise_bgr(64, 64));
  expect_failure(write("half.jpg", bytes(jpeg.begin(), jpeg.begin() + jpeg.size() / 2)), exit_data,
                 "truncated JPEG (ends inside scan data)");
  expect_failure(write("no-eoi.jpg", bytes(jpeg.begin(), jpeg.end() - 2)), exit_data, "truncated JPEG");
  expect_failure(write("tables.jpg", bytes(jpeg.begin(), jpeg.begin() + 30)), exit_data, "JPEG");
}

TEST_F(ImageDecode, TruncatedProgressiveJpegAtAScanBoundary) {
  const bytes jpeg = encode(".jpg", noise_bgr(64, 64), {cv::IMWRITE_JPEG_PROGRESSIVE, 1});
  EXPECT_EQ(decode_image(write("whole.jpg", jpeg), limit).width, 64u);
  // Cut just before the last scan: every segment so far is whole, only EOI is missing.
  std::size_t last_sos = 0;
  for (std::size_t i = 0; i + 1 < jpeg.size(); ++i)
    if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xDA) last_sos = i;
  ASSERT_GT(last_sos, 0u);
  expect_failure(write("cut.jpg", bytes(jpeg.begin(), jpeg.begin() + static_cast<std::ptrdiff_t>(last_sos))), exit_data,
                 "truncated JPEG (no end-of-image marker)");
}

TEST_F(ImageDecode, TruncatedWebpTiffBmpAreRefused) {
  const cv::Mat image = noise_bgr(64, 64);
  for (const char* ext : {".webp", ".tiff", ".bmp"}) {
    SCOPED_TRACE(ext);
    const bytes whole = encode(ext, image, {cv::IMWRITE_WEBP_QUALITY, 101});
    const std::string path = write(std::string("half") + ext, bytes(whole.begin(), whole.begin() + whole.size() / 2));
    EXPECT_THROW(decode_image(path, limit), failure);
  }
}

// libpng and imdecode print to stderr past OpenCV's logger; our reason says it.
TEST_F(ImageDecode, DecoderChatterBecomesTheReasonNotStderrNoise) {
  const bytes png = encode(".png", noise_bgr(64, 64));
  const bytes bmp = encode(".bmp", noise_bgr(64, 64));
  const std::string half_png = write("half.png", bytes(png.begin(), png.begin() + png.size() / 2));
  const std::string half_bmp = write("half.bmp", bytes(bmp.begin(), bmp.begin() + bmp.size() / 2));
  ::testing::internal::CaptureStderr();
  expect_failure(half_png, exit_data, "cannot decode PNG (libpng: ");
  expect_failure(half_bmp, exit_data, "cannot decode BMP (");
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

TEST_F(ImageDecode, CorruptDataNeverCrashes) {
  const bytes png = encode(".png", noise_bgr(32, 32));
  bytes damaged = png;
  for (std::size_t i = 40; i < damaged.size(); i += 7) damaged[i] ^= 0x5A;
  expect_failure(write("damaged.png", damaged), exit_data, "PNG");
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

TEST_F(ImageDecode, JpegWithRestartMarkers) {
  const bytes jpeg = encode(".jpg", noise_bgr(64, 64), {cv::IMWRITE_JPEG_RST_INTERVAL, 1});
  EXPECT_TRUE(jpeg_structure_problem(jpeg.data(), jpeg.size()).empty());
  EXPECT_EQ(decode_image(write("rst.jpg", jpeg), limit).width, 64u);
}

}  // namespace
}  // namespace kmq::cli
