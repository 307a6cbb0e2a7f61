// image_decoder: every accepted kind of input becomes the right RGBA pixels,
// and every bad one ends in the right exit code with a reason, not a crash.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "kmq/error.hpp"
#include "image_fixtures.hpp"
#include "kmq/io/image_header.hpp"
#include "kmq/io/image_decoder.hpp"
#include "kmq/io/png_encoder.hpp"
#include "kmq/io/jpeg_check.hpp"

namespace kmq::io {
namespace {

namespace fs = std::filesystem;
using namespace kmq::io::testing;

constexpr std::uint64_t limit = std::uint64_t{1} << 28;

decoded_image decode_image(const std::string& path, std::uint64_t max_pixels) {
  return image_decoder(decode_limits{max_pixels}).decode_file(path);
}

image_decoder with_max_file_bytes(std::uint64_t max_file_bytes) {
  decode_limits limits;
  limits.max_file_bytes = max_file_bytes;
  return image_decoder(limits);
}

fs::path data_dir() {
  if (const char* root = std::getenv("KMQ_SOURCE_DIR")) return fs::path(root) / "tests" / "data";
  return fs::path(__FILE__).parent_path() / "data";
}

class ImageDecode : public ::testing::Test {
 protected:
  void SetUp() override {
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

// Expects decoder.decode_file(path) to fail with code and a reason containing text.
void expect_failure_of(const image_decoder& decoder, const std::string& path, error_kind kind,
                       const std::string& text) {
  try {
    decoder.decode_file(path);
    ADD_FAILURE() << path << ": decoded, expected \"" << text << "\"";
  } catch (const error& e) {
    EXPECT_EQ(e.kind(), kind) << e.describe();
    EXPECT_EQ(e.path(), path);
    EXPECT_NE(e.describe().find(text), std::string::npos) << e.describe();
  }
}

void expect_failure(const std::string& path, error_kind kind, const std::string& text,
                    std::uint64_t max_pixels = limit) {
  expect_failure_of(image_decoder(decode_limits{max_pixels}), path, kind, text);
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
  expect_failure((dir_ / "nowhere.png").string(), error_kind::input_unreadable, "No such file or directory");
}

TEST_F(ImageDecode, Directory) { expect_failure(dir_.string(), error_kind::input_unreadable, "is a directory"); }

TEST_F(ImageDecode, EmptyFile) { expect_failure(write("empty.png", {}), error_kind::bad_input, "empty file"); }

TEST_F(ImageDecode, TextNamedPng) {
  const std::string text = "this is not an image\n";
  expect_failure(write("text.png", bytes(text.begin(), text.end())), error_kind::bad_input, "not a recognised image");
}

TEST_F(ImageDecode, EndlessStreamIsRefusedOnItsFirstBytes) {
  expect_failure("/dev/zero", error_kind::bad_input, "not a recognised image");
}

TEST_F(ImageDecode, GifIsNamedAsUnsupported) {
  const bytes gif = {'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0, 0, 0, ';'};
  expect_failure(write("a.gif", gif), error_kind::bad_input, "GIF is not supported");
}

TEST_F(ImageDecode, PngHeaderClaimingTenBillionPixels) {
  const std::string path = write("huge.png", png_claiming(100000, 100000));
  expect_failure(path, error_kind::bad_input, "100000x100000");
  expect_failure(path, error_kind::bad_input, "--max-pixels " + std::to_string(limit));
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
  expect_failure(write("huge.jpg", jpeg), error_kind::bad_input, "60000x60000 = 3600000000 pixels");
}

TEST_F(ImageDecode, PixelLimitIsInclusive) {
  const std::string path = write("ten.png", encode(".png", noise_bgr(10, 10)));
  EXPECT_EQ(decode_image(path, 100).pixels.size(), 100u);
  expect_failure(path, error_kind::bad_input, "10x10 = 100 pixels, more than --max-pixels 99", 99);
}

TEST_F(ImageDecode, TruncatedPng) {
  const bytes png = encode(".png", noise_bgr(64, 64));
  expect_failure(write("half.png", bytes(png.begin(), png.begin() + png.size() / 2)), error_kind::bad_input, "cannot decode PNG");
  expect_failure(write("header.png", bytes(png.begin(), png.begin() + 20)), error_kind::bad_input,
                 "truncated or corrupt PNG header");
}

TEST_F(ImageDecode, TruncatedJpeg) {
  const bytes jpeg = encode(".jpg", noise_bgr(64, 64));
  expect_failure(write("half.jpg", bytes(jpeg.begin(), jpeg.begin() + jpeg.size() / 2)), error_kind::bad_input,
                 "truncated JPEG (ends inside scan data)");
  expect_failure(write("no-eoi.jpg", bytes(jpeg.begin(), jpeg.end() - 2)), error_kind::bad_input, "truncated JPEG");
  expect_failure(write("tables.jpg", bytes(jpeg.begin(), jpeg.begin() + 30)), error_kind::bad_input, "JPEG");
}

TEST_F(ImageDecode, TruncatedProgressiveJpegAtAScanBoundary) {
  const bytes jpeg = encode(".jpg", noise_bgr(64, 64), {cv::IMWRITE_JPEG_PROGRESSIVE, 1});
  EXPECT_EQ(decode_image(write("whole.jpg", jpeg), limit).width, 64u);
  // Cut just before the last scan: every segment so far is whole, only EOI is missing.
  std::size_t last_sos = 0;
  for (std::size_t i = 0; i + 1 < jpeg.size(); ++i)
    if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xDA) last_sos = i;
  ASSERT_GT(last_sos, 0u);
  expect_failure(write("cut.jpg", bytes(jpeg.begin(), jpeg.begin() + static_cast<std::ptrdiff_t>(last_sos))), error_kind::bad_input,
                 "truncated JPEG (no end-of-image marker)");
}

TEST_F(ImageDecode, TruncatedWebpTiffBmpAreRefused) {
  const cv::Mat image = noise_bgr(64, 64);
  for (const char* ext : {".webp", ".tiff", ".bmp"}) {
    SCOPED_TRACE(ext);
    const bytes whole = encode(ext, image, {cv::IMWRITE_WEBP_QUALITY, 101});
    const std::string path = write(std::string("half") + ext, bytes(whole.begin(), whole.begin() + whole.size() / 2));
    EXPECT_THROW(decode_image(path, limit), error);
  }
}

// libpng and imdecode print to stderr past OpenCV's logger; our reason says it.
TEST_F(ImageDecode, DecoderChatterBecomesTheReasonNotStderrNoise) {
  const bytes png = encode(".png", noise_bgr(64, 64));
  const bytes bmp = encode(".bmp", noise_bgr(64, 64));
  const std::string half_png = write("half.png", bytes(png.begin(), png.begin() + png.size() / 2));
  const std::string half_bmp = write("half.bmp", bytes(bmp.begin(), bmp.begin() + bmp.size() / 2));
  ::testing::internal::CaptureStderr();
  expect_failure(half_png, error_kind::bad_input, "cannot decode PNG (libpng: ");
  expect_failure(half_bmp, error_kind::bad_input, "cannot decode BMP (");
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

TEST_F(ImageDecode, CorruptDataNeverCrashes) {
  const bytes png = encode(".png", noise_bgr(32, 32));
  bytes damaged = png;
  for (std::size_t i = 40; i < damaged.size(); i += 7) damaged[i] ^= 0x5A;
  expect_failure(write("damaged.png", damaged), error_kind::bad_input, "PNG");
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
  // acTL: 5 frames, played once, right after IHDR (8 + 25 bytes).
  bytes actl;
  put_png_chunk(actl, "acTL", {0, 0, 0, 5, 0, 0, 0, 0});
  png.insert(png.begin() + 33, actl.begin(), actl.end());
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

// --- TIFF crafted byte by byte (layouts Pillow and OpenCV do not write) ----

struct tiff_picture {
  std::uint32_t width = 0, height = 0;
  std::uint16_t bits = 8;
  std::uint16_t photometric = 2;           // 2: RGB, 1: minimum is black
  std::vector<std::uint16_t> extra = {2};  // ExtraSamples (2 unassociated, 1 associated); empty: no tag
  bool planar = false;
  std::uint32_t rows_per_strip = 1;  // strips of this many rows ...
  std::uint32_t tile = 0;            // ... or tile x tile tiles when not 0
  std::uint16_t orientation = 0;     // 0: no tag
  std::vector<std::vector<std::uint16_t>> samples;  // a pixel's samples, row-major

  std::uint16_t samples_per_pixel() const {
    return static_cast<std::uint16_t>((photometric == 2 ? 3 : 1) + extra.size());
  }
};

void put_le(bytes& out, std::uint32_t v, int size) {
  for (int i = 0; i < size; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

// Little-endian, uncompressed, one IFD after the image data.
bytes tiff_of(const tiff_picture& t) {
  bytes out = {'I', 'I', 42, 0, 0, 0, 0, 0};
  const std::uint16_t spp = t.samples_per_pixel();
  const std::uint32_t bw = t.tile ? t.tile : t.width, bh = t.tile ? t.tile : t.rows_per_strip;
  const std::uint32_t across = (t.width + bw - 1) / bw, down = (t.height + bh - 1) / bh;
  std::vector<std::uint32_t> offsets, counts;
  for (std::uint16_t plane = 0; plane < (t.planar ? spp : 1); ++plane) {
    for (std::uint32_t by = 0; by < down; ++by) {
      for (std::uint32_t bx = 0; bx < across; ++bx) {
        offsets.push_back(static_cast<std::uint32_t>(out.size()));
        const std::uint32_t rows = t.tile ? bh : std::min(bh, t.height - by * bh);
        for (std::uint32_t y = 0; y < rows; ++y) {
          for (std::uint32_t x = 0; x < bw; ++x) {
            const std::uint32_t px = bx * bw + x, py = by * bh + y;
            for (std::uint16_t s = t.planar ? plane : 0; s < (t.planar ? plane + 1 : spp); ++s) {
              const std::uint32_t v = px < t.width && py < t.height ? t.samples.at(std::size_t{py} * t.width + px).at(s) : 0;
              put_le(out, v, t.bits / 8);
            }
          }
        }
        counts.push_back(static_cast<std::uint32_t>(out.size()) - offsets.back());
      }
    }
  }
  struct entry {
    std::uint16_t tag, type;  // 3 SHORT, 4 LONG
    std::vector<std::uint32_t> values;
  };
  std::vector<entry> entries = {{256, 4, {t.width}}, {257, 4, {t.height}},
                                {258, 3, std::vector<std::uint32_t>(spp, t.bits)}, {259, 3, {1}},
                                {262, 3, {t.photometric}}, {277, 3, {spp}}, {284, 3, {t.planar ? 2u : 1u}}};
  if (t.orientation) entries.push_back({274, 3, {t.orientation}});
  if (!t.extra.empty()) entries.push_back({338, 3, std::vector<std::uint32_t>(t.extra.begin(), t.extra.end())});
  if (t.tile) {
    entries.push_back({322, 4, {t.tile}});
    entries.push_back({323, 4, {t.tile}});
    entries.push_back({324, 4, offsets});
    entries.push_back({325, 4, counts});
  } else {
    entries.push_back({273, 4, offsets});
    entries.push_back({278, 4, {t.rows_per_strip}});
    entries.push_back({279, 4, counts});
  }
  std::sort(entries.begin(), entries.end(), [](const entry& a, const entry& b) { return a.tag < b.tag; });
  // Values over 4 bytes go before the IFD; the rest sit in the entry.
  std::vector<std::uint32_t> value_at(entries.size(), 0);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const int size = entries[i].type == 3 ? 2 : 4;
    if (entries[i].values.size() * size <= 4) continue;
    if (out.size() % 2) out.push_back(0);
    value_at[i] = static_cast<std::uint32_t>(out.size());
    for (const std::uint32_t v : entries[i].values) put_le(out, v, size);
  }
  if (out.size() % 2) out.push_back(0);
  const auto ifd = static_cast<std::uint32_t>(out.size());
  for (int i = 0; i < 4; ++i) out[4 + i] = static_cast<std::uint8_t>(ifd >> (8 * i));
  put_le(out, static_cast<std::uint32_t>(entries.size()), 2);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const entry& e = entries[i];
    const int size = e.type == 3 ? 2 : 4;
    put_le(out, e.tag, 2);
    put_le(out, e.type, 2);
    put_le(out, static_cast<std::uint32_t>(e.values.size()), 4);
    if (e.values.size() * size > 4) {
      put_le(out, value_at[i], 4);
    } else {
      for (const std::uint32_t v : e.values) put_le(out, v, size);
      for (std::size_t pad = e.values.size() * size; pad < 4; ++pad) out.push_back(0);
    }
  }
  put_le(out, 0, 4);  // no next IFD
  return out;
}

std::uint32_t eight_bits(std::uint32_t v, std::uint16_t bits) { return bits == 8 ? v : (v * 255 + 32767) / 65535; }

// Straight alpha, every sample as stored, 16 bits rounded to 8.
packed_rgba straight(const tiff_picture& t, const std::vector<std::uint16_t>& s) {
  const std::size_t colours = t.photometric == 2 ? 3 : 1;
  const std::uint32_t r = eight_bits(s[0], t.bits), a = eight_bits(s[colours], t.bits);
  return colours == 3 ? pack_rgba(r, eight_bits(s[1], t.bits), eight_bits(s[2], t.bits), a) : pack_rgba(r, r, r, a);
}

tiff_picture pattern_picture(std::uint32_t width, std::uint32_t height, std::uint16_t bits, std::uint16_t photometric) {
  tiff_picture t;
  t.width = width;
  t.height = height;
  t.bits = bits;
  t.photometric = photometric;
  const std::uint32_t max = bits == 8 ? 255 : 65535;
  for (std::uint32_t y = 0; y < height; ++y)
    for (std::uint32_t x = 0; x < width; ++x) {
      std::vector<std::uint16_t> s;
      for (std::uint16_t i = 0; i < t.samples_per_pixel(); ++i)
        s.push_back(static_cast<std::uint16_t>((x * 7919u + y * 104729u + i * 15485863u) % (max + 1)));
      t.samples.push_back(s);
    }
  return t;
}

TEST_F(ImageDecode, TiffAlphaInEveryLayoutIsReadAsStored) {
  for (const std::uint16_t bits : {8, 16}) {
    for (const std::uint16_t photometric : {2, 1}) {
      for (const bool planar : {false, true}) {
        for (const std::uint32_t tile : {0u, 16u}) {
          for (const std::uint32_t rows_per_strip : {1u, 7u, 100u}) {
            if (tile && rows_per_strip != 1) continue;
            tiff_picture t = pattern_picture(21, 18, bits, photometric);  // tiles overhang right and bottom
            t.planar = planar;
            t.tile = tile;
            t.rows_per_strip = rows_per_strip;
            SCOPED_TRACE(::testing::Message() << bits << " bits, photometric " << photometric
                                              << (planar ? ", planar" : ", contiguous") << ", tile " << tile
                                              << ", rows per strip " << rows_per_strip);
            const decoded_image image = decode_image(write("crafted.tif", tiff_of(t)), limit);
            ASSERT_EQ(image.width, t.width);
            ASSERT_EQ(image.height, t.height);
            EXPECT_TRUE(image.has_alpha);
            for (std::size_t i = 0; i < t.samples.size(); ++i)
              ASSERT_EQ(image.pixels[i], straight(t, t.samples[i])) << "pixel " << i;
          }
        }
      }
    }
  }
}

// libtiff reads one large uncompressed strip as several smaller ones.
TEST_F(ImageDecode, TiffWithAlphaInOneLargeStrip) {
  for (const bool planar : {false, true}) {
    tiff_picture t = pattern_picture(200, 50, 16, 2);
    t.rows_per_strip = 50;
    t.planar = planar;
    const decoded_image image = decode_image(write("one-strip.tif", tiff_of(t)), limit);
    ASSERT_EQ(image.pixels.size(), t.samples.size());
    for (std::size_t i = 0; i < t.samples.size(); ++i) ASSERT_EQ(image.pixels[i], straight(t, t.samples[i])) << i;
  }
}

// Associated alpha (ExtraSamples 1): colour premultiplied by alpha. We give
// straight alpha, so it is divided out: the nearest integer to 255 * c / a.
TEST_F(ImageDecode, TiffAssociatedAlphaIsUnpremultiplied) {
  tiff_picture t;
  t.width = 6;
  t.height = 1;
  t.extra = {1};
  t.samples = {{128, 128, 128, 128}, {100, 50, 25, 200}, {0, 0, 0, 0}, {1, 1, 0, 1}, {200, 10, 10, 100}, {7, 0, 255, 255}};
  const std::vector<packed_rgba> want = {pack_rgba(255, 255, 255, 128), pack_rgba(128, 64, 32, 200),
                                         pack_rgba(0, 0, 0, 0),         pack_rgba(255, 255, 0, 1),
                                         pack_rgba(255, 26, 26, 100),   pack_rgba(7, 0, 255, 255)};
  const decoded_image image = decode_image(write("associated.tif", tiff_of(t)), limit);
  EXPECT_EQ(image.pixels, want);

  t.bits = 16;
  t.width = 3;
  t.samples = {{32768, 16384, 0, 32768}, {65535, 65535, 65535, 65535}, {257, 0, 100, 514}};
  const decoded_image deep = decode_image(write("associated16.tif", tiff_of(t)), limit);
  EXPECT_EQ(deep.pixels, (std::vector<packed_rgba>{pack_rgba(255, 128, 0, 128), pack_rgba(255, 255, 255, 255),
                                                   pack_rgba(128, 0, 50, 2)}));
}

TEST_F(ImageDecode, TiffExtraSamplesAfterTheAlphaAreSkipped) {
  tiff_picture t;
  t.width = 2;
  t.height = 1;
  t.extra = {2, 0};
  t.samples = {{1, 2, 3, 4, 99}, {250, 251, 252, 253, 7}};
  const decoded_image image = decode_image(write("rgbax.tif", tiff_of(t)), limit);
  EXPECT_EQ(image.pixels, (std::vector<packed_rgba>{pack_rgba(1, 2, 3, 4), pack_rgba(250, 251, 252, 253)}));
}

// Reference rotations for the Orientation tag, built from two plain moves.
struct grid {
  std::uint32_t w, h;
  std::vector<packed_rgba> p;
  packed_rgba at(std::uint32_t x, std::uint32_t y) const { return p[std::size_t{y} * w + x]; }
};
grid turned_clockwise(const grid& g) {
  grid out{g.h, g.w, {}};
  for (std::uint32_t y = 0; y < out.h; ++y)
    for (std::uint32_t x = 0; x < out.w; ++x) out.p.push_back(g.at(y, g.h - 1 - x));
  return out;
}
grid mirrored(const grid& g) {
  grid out{g.w, g.h, {}};
  for (std::uint32_t y = 0; y < out.h; ++y)
    for (std::uint32_t x = 0; x < out.w; ++x) out.p.push_back(g.at(g.w - 1 - x, y));
  return out;
}

TEST_F(ImageDecode, TiffWithAlphaFollowsItsOrientationTag) {
  tiff_picture t = pattern_picture(5, 3, 8, 2);
  grid stored{5, 3, {}};
  for (const auto& s : t.samples) stored.p.push_back(straight(t, s));
  const grid cw = turned_clockwise(stored), half = turned_clockwise(cw), ccw = turned_clockwise(half);
  // TIFF 6.0 Orientation = EXIF's: what to do to the stored rows to show them.
  const grid want[9] = {stored, stored, mirrored(stored), half, mirrored(half), mirrored(cw), cw, mirrored(ccw), ccw};
  for (std::uint16_t orientation = 1; orientation <= 8; ++orientation) {
    SCOPED_TRACE(orientation);
    t.orientation = orientation;
    const decoded_image image = decode_image(write("oriented.tif", tiff_of(t)), limit);
    ASSERT_EQ(image.width, want[orientation].w);
    ASSERT_EQ(image.height, want[orientation].h);
    EXPECT_EQ(image.pixels, want[orientation].p);
  }
}

// The IFD entry of tag in a little-endian TIFF made by tiff_of.
std::size_t tiff_entry(const bytes& tiff, std::uint16_t tag) {
  const std::size_t ifd = tiff[4] | tiff[5] << 8 | tiff[6] << 16 | std::size_t{tiff[7]} << 24;
  const std::size_t entries = tiff[ifd] | tiff[ifd + 1] << 8;
  for (std::size_t i = 0; i < entries; ++i) {
    const std::size_t at = ifd + 2 + 12 * i;
    if ((tiff[at] | tiff[at + 1] << 8) == tag) return at;
  }
  ADD_FAILURE() << "no tag " << tag;
  return 0;
}

TEST_F(ImageDecode, TruncatedTiffWithAlpha) {
  tiff_picture t = pattern_picture(64, 64, 8, 2);
  t.rows_per_strip = 64;
  bytes tiff = tiff_of(t);
  // Move the one strip to 100 bytes before the end: most of it is missing.
  const std::size_t entry = tiff_entry(tiff, 273);
  ASSERT_NE(entry, 0u);
  const auto offset = static_cast<std::uint32_t>(tiff.size() - 100);
  for (int i = 0; i < 4; ++i) tiff[entry + 8 + i] = static_cast<std::uint8_t>(offset >> (8 * i));
  ::testing::internal::CaptureStderr();
  expect_failure(write("cut.tif", tiff), error_kind::bad_input, "cannot decode TIFF (libtiff: ");
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "") << "libtiff's complaint goes into our reason";
}

TEST_F(ImageDecode, TiffWithAlphaOverThePixelLimit) {
  const std::string path = write("big.tif", tiff_of(pattern_picture(20, 10, 8, 2)));
  expect_failure(path, error_kind::bad_input, "20x10 = 200 pixels, more than --max-pixels 199", 199);
}

// --- --max-file-size --------------------------------------------------------

TEST(MaxFileSize, MustBeAtLeastOne) {
  try {
    with_max_file_bytes(0);
    FAIL() << "no exception";
  } catch (const error& e) {
    EXPECT_EQ(e.kind(), error_kind::invalid_argument);
    EXPECT_STREQ(e.what(), "--max-file-size must be at least 1");
  }
  EXPECT_EQ(image_decoder().limits().max_file_bytes, std::uint64_t{1} << 30);
}

TEST_F(ImageDecode, FileExactlyAtTheLimitIsAccepted) {
  const bytes png = encode(".png", noise_bgr(16, 16));
  const std::string path = write("at-limit.png", png);
  EXPECT_EQ(with_max_file_bytes(png.size()).decode_file(path).width, 16u);
  expect_failure_of(with_max_file_bytes(png.size() - 1), path, error_kind::bad_input,
                    "file is larger than --max-file-size " + std::to_string(png.size() - 1) + " bytes");
  EXPECT_EQ(with_max_file_bytes(png.size()).decode_bytes(png, "memory").width, 16u);
  EXPECT_THROW(with_max_file_bytes(png.size() - 1).decode_bytes(png, "memory"), error);
}

// A 2 GiB file (sparse: it takes no disk) that starts as a valid PNG is refused
// from its size alone, not read first.
TEST_F(ImageDecode, SparseFileOverTheLimitIsRefusedWithoutBeingRead) {
  const std::string path = write("sparse.png", encode(".png", noise_bgr(16, 16)));
  ASSERT_EQ(::truncate(path.c_str(), off_t{2} << 30), 0);
  const auto start = std::chrono::steady_clock::now();
  expect_failure_of(image_decoder(), path, error_kind::bad_input, "file is larger than --max-file-size 1073741824 bytes");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

// A FIFO that starts like a PNG and never ends is cut off once past the limit.
TEST_F(ImageDecode, EndlessFifoIsRefusedOncePastTheLimit) {
  const std::string path = (dir_ / "endless.png").string();
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  // Writes to a FIFO whose reader has gone raise SIGPIPE; the writer wants EPIPE.
  struct sigaction ignore {}, saved {};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGPIPE, &ignore, &saved), 0);
  std::atomic<std::uint64_t> written{0};
  std::thread writer([&] {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return;
    bytes chunk = png_claiming(1000, 1000);
    chunk.resize(1 << 16, 0x5a);
    // Stops when the reader closes (EPIPE), or at 64 MiB should it never.
    while (written < (std::uint64_t{64} << 20)) {
      const ssize_t n = ::write(fd, chunk.data(), chunk.size());
      if (n <= 0) break;
      written += static_cast<std::uint64_t>(n);
      std::fill(chunk.begin(), chunk.begin() + 64, 0x5a);  // the header once only
    }
    ::close(fd);
  });
  expect_failure_of(with_max_file_bytes(std::uint64_t{1} << 20), path, error_kind::bad_input,
                    "file is larger than --max-file-size 1048576 bytes");
  writer.join();
  ::sigaction(SIGPIPE, &saved, nullptr);
  EXPECT_LT(written.load(), std::uint64_t{64} << 20) << "the reader stopped";
}

}  // namespace
}  // namespace kmq::io
