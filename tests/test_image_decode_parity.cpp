// The decoders kmq_io runs itself (libpng, libjpeg-turbo, libwebp) give
// exactly the pixels the OpenCV path gave before them: cv::imdecode with
// IMREAD_COLOR for JPEG (EXIF orientation applied, CMYK converted OpenCV's
// way) and IMREAD_UNCHANGED otherwise, 16 bits rounded to 8 as
// (v * 255 + 32767) / 65535; except a grey PNG's tRNS, alpha for kmq and not for
// OpenCV, and a PNG's eXIf orientation, applied by kmq and not by OpenCV. Every PNG, JPEG and WebP under tests/data/ and
// sample_images/, and files of every kind those libraries write: here the
// files in the tree, PNG, WebP and broken files; JPEG in
// test_image_decode_parity_jpeg.cpp, BMP in test_image_decode_parity_bmp.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include <png.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "image_decode_parity_test_support.hpp"
#include "image_fixtures.hpp"
#include "libpng_writer.hpp"
#include "kmq/error.hpp"
#include "kmq/io/image_decoder.hpp"

namespace kmq::io {
namespace {

namespace fs = std::filesystem;
using namespace kmq::io::testing;

fs::path source_dir() {
  if (const char* root = std::getenv("KMQ_SOURCE_DIR")) return root;
  return fs::path(__FILE__).parent_path().parent_path();
}

bytes read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(ImageDecodeParity, EveryPngJpegWebpFileInTheTree) {
  int files = 0;
  for (const char* dir : {"tests/data", "sample_images"}) {
    for (const auto& entry : fs::recursive_directory_iterator(source_dir() / dir)) {
      std::string ext = entry.path().extension().string();
      for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      const bool jpeg = ext == ".jpg" || ext == ".jpeg";
      if (!jpeg && ext != ".png" && ext != ".webp" && ext != ".bmp") continue;
      // Where OpenCV is wrong, held to Pillow instead: tests/data/bmp/
      // (test_bmp_decode), the grey PNG with a tRNS (AlphaFixtures) and the
      // PNGs turned by their eXIf, which OpenCV ignores (ImageDecodeExif), and
      // the four-component JPEGs, converted as Chromium converts them
      // (JpegColourGreyCmykYcckInEverySampling).
      const fs::path folder = entry.path().parent_path().filename();
      const std::string name = entry.path().filename().string();
      if (folder == "bmp" || folder == "exif" || name == "grey-trns.png" || name == "cmyk.jpg" || name == "ycck.jpg")
        continue;
      expect_same_as_opencv(read_all(entry.path()), jpeg, entry.path().string());
      ++files;
    }
  }
  EXPECT_GE(files, 12);
}

// --- PNG of every colour type and depth, written with libpng ----------------

struct png_spec {
  int color_type, bit_depth;
  bool interlaced = false, trns = false, gamma = false;
  std::uint32_t width = 13, height = 7;
};

// Rows of random samples at any depth, some of them equal to the tRNS key;
// keyed (when given) says for a grey image which pixels are.
bytes write_png(const png_spec& s, std::uint32_t seed, std::vector<char>* keyed = nullptr) {
  std::mt19937 random(seed);
  const int max = (1 << s.bit_depth) - 1;
  const int channels = (s.color_type == PNG_COLOR_TYPE_PALETTE || s.color_type == PNG_COLOR_TYPE_GRAY) ? 1
                       : s.color_type == PNG_COLOR_TYPE_GRAY_ALPHA                                        ? 2
                       : s.color_type == PNG_COLOR_TYPE_RGB                                               ? 3
                                                                                                          : 4;
  std::vector<png_color> palette;
  std::vector<png_byte> palette_alpha;
  if (s.color_type == PNG_COLOR_TYPE_PALETTE) {
    palette.resize(std::size_t(1) << s.bit_depth);
    for (auto& c : palette) c = {static_cast<png_byte>(random()), static_cast<png_byte>(random()), static_cast<png_byte>(random())};
    if (s.trns) {
      palette_alpha.resize(palette.size() / 2 + 1);
      for (auto& a : palette_alpha) a = static_cast<png_byte>(random());
    }
  }
  png_color_16 key{};
  key.gray = key.red = static_cast<png_uint_16>(max / 3);
  key.green = static_cast<png_uint_16>(max / 2);
  key.blue = static_cast<png_uint_16>(max);
  const std::size_t row_bytes = (std::size_t{s.width} * static_cast<std::size_t>(channels * s.bit_depth) + 7) / 8;
  std::vector<std::vector<png_byte>> rows(s.height, std::vector<png_byte>(row_bytes));
  for (std::uint32_t y = 0; y < s.height; ++y) {
    // Samples packed big-endian at any depth.
    std::vector<int> samples(std::size_t{s.width} * channels);
    for (std::size_t i = 0; i < samples.size(); ++i) {
      const int roll = static_cast<int>(random() % 8);
      samples[i] = roll == 0 ? 0 : roll == 1 ? max : roll == 2 ? max / 3 : static_cast<int>(random() % (max + 1));
    }
    if (s.trns && s.color_type == PNG_COLOR_TYPE_RGB && y % 2 == 0 && s.width > 2) {
      samples[3] = max / 3;
      samples[4] = max / 2;
      samples[5] = max;
    }
    if (keyed != nullptr && s.color_type == PNG_COLOR_TYPE_GRAY) {
      for (const int v : samples) keyed->push_back(s.trns && v == key.gray);
    }
    std::size_t bit = 0;
    for (const int v : samples) {
      if (s.bit_depth == 16) {
        rows[y][bit / 8] = static_cast<png_byte>(v >> 8);
        rows[y][bit / 8 + 1] = static_cast<png_byte>(v);
      } else {
        rows[y][bit / 8] |= static_cast<png_byte>(v << (8 - s.bit_depth - bit % 8));
      }
      bit += static_cast<std::size_t>(s.bit_depth);
    }
  }
  return write_with_libpng(
      [&](png_structp png, png_infop info) {
        png_set_IHDR(png, info, s.width, s.height, s.bit_depth, s.color_type,
                     s.interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                     PNG_FILTER_TYPE_DEFAULT);
        if (!palette.empty()) png_set_PLTE(png, info, palette.data(), static_cast<int>(palette.size()));
        if (!palette_alpha.empty()) {
          png_set_tRNS(png, info, palette_alpha.data(), static_cast<int>(palette_alpha.size()), nullptr);
        } else if (s.trns && s.color_type != PNG_COLOR_TYPE_PALETTE) {
          png_set_tRNS(png, info, nullptr, 1, &key);
        }
        if (s.gamma) png_set_gAMA(png, info, 0.8);
      },
      rows);
}

TEST(ImageDecodeParity, PngOfEveryColourTypeDepthTrnsAndInterlace) {
  const std::vector<std::pair<int, std::vector<int>>> kinds = {
      {PNG_COLOR_TYPE_GRAY, {1, 2, 4, 8, 16}},     {PNG_COLOR_TYPE_GRAY_ALPHA, {8, 16}},
      {PNG_COLOR_TYPE_RGB, {8, 16}},               {PNG_COLOR_TYPE_RGB_ALPHA, {8, 16}},
      {PNG_COLOR_TYPE_PALETTE, {1, 2, 4, 8}}};
  std::uint32_t seed = 1;
  for (const auto& [type, depths] : kinds) {
    for (const int depth : depths) {
      for (const bool interlaced : {false, true}) {
        for (const bool trns : {false, true}) {
          if (trns && (type & PNG_COLOR_MASK_ALPHA)) continue;
          for (const bool gamma : {false, true}) {
            png_spec spec{type, depth, interlaced, trns, gamma};
            if (interlaced) spec.width = 37, spec.height = 19;
            std::vector<char> keyed;
            const bytes png = write_png(spec, seed++, &keyed);
            ASSERT_FALSE(png.empty());
            if (type == PNG_COLOR_TYPE_GRAY && trns) {
              ASSERT_NE(std::count(keyed.begin(), keyed.end(), 1), 0) << "no pixel has the key";
            }
            // OpenCV ignores a grey image's tRNS; kmq makes the key's pixels
            // transparent (as Pillow, browsers and the PNG specification do), colour kept.
            const auto key_transparent = [&keyed](reference_image& want) {
              ASSERT_EQ(keyed.size(), want.pixels.size());
              for (std::size_t i = 0; i < keyed.size(); ++i)
                if (keyed[i]) want.pixels[i] &= 0x00ffffffu;
              want.has_alpha = true;
            };
            expect_same_as_opencv(png, false,
                                  "type " + std::to_string(type) + " depth " + std::to_string(depth) +
                                      (interlaced ? " interlaced" : "") + (trns ? " tRNS" : "") + (gamma ? " gAMA" : ""),
                                  type == PNG_COLOR_TYPE_GRAY && trns ? std::function<void(reference_image&)>(key_transparent)
                                                                      : nullptr);
          }
        }
      }
    }
  }
}

TEST(ImageDecodeParity, PngWrittenByOpenCv) {
  const cv::Mat bgr = noise_bgr(31, 17);
  cv::Mat bgra, gray, bgr16;
  cv::cvtColor(bgr, bgra, cv::COLOR_BGR2BGRA);
  cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
  bgr.convertTo(bgr16, CV_16U, 257.0, 3);
  for (const cv::Mat& m : {bgr, bgra, gray, bgr16}) expect_same_as_opencv(encode(".png", m), false, "opencv png");
}

// --- WebP -------------------------------------------------------------------

TEST(ImageDecodeParity, WebpLossyAndLosslessWithAndWithoutAlpha) {
  const cv::Mat bgr = noise_bgr(41, 23);
  cv::Mat bgra;
  cv::cvtColor(bgr, bgra, cv::COLOR_BGR2BGRA);
  bgra.forEach<cv::Vec4b>([](cv::Vec4b& p, const int* at) { p[3] = static_cast<std::uint8_t>(at[1] * 11 + at[0]); });
  for (const int quality : {101, 90, 40}) {
    expect_same_as_opencv(encode(".webp", bgr, {cv::IMWRITE_WEBP_QUALITY, quality}), false,
                          "webp rgb q" + std::to_string(quality));
    expect_same_as_opencv(encode(".webp", bgra, {cv::IMWRITE_WEBP_QUALITY, quality}), false,
                          "webp rgba q" + std::to_string(quality));
  }
}

// --- errors: the library's complaint, nothing printed ----------------------

TEST(ImageDecodeParity, BrokenFilesGiveTheLibrarysReasonAndPrintNothing) {
  const bytes png = encode(".png", noise_bgr(64, 64));
  const bytes webp = encode(".webp", noise_bgr(64, 64), {cv::IMWRITE_WEBP_QUALITY, 101});
  bytes bad_crc = png;
  bad_crc[bad_crc.size() / 2] ^= 0xFF;
  const std::vector<std::pair<bytes, std::string>> cases = {
      {bytes(png.begin(), png.begin() + static_cast<std::ptrdiff_t>(png.size() / 2)), "cannot decode PNG (libpng: "},
      {bad_crc, "cannot decode PNG (libpng: "},
      {bytes(webp.begin(), webp.begin() + static_cast<std::ptrdiff_t>(webp.size() / 2)), "cannot decode WebP (libwebp: "},
  };
  ::testing::internal::CaptureStderr();
  for (const auto& [file, text] : cases) {
    try {
      image_decoder().decode_bytes(file, "broken");
      ADD_FAILURE() << "decoded, expected " << text;
    } catch (const error& e) {
      EXPECT_EQ(e.kind(), error_kind::bad_input);
      EXPECT_NE(e.describe().find(text), std::string::npos) << e.describe();
    }
  }
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

}  // namespace
}  // namespace kmq::io
