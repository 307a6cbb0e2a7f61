// kmq_io's BMP decoder against OpenCV's on the kinds OpenCV read right
// (palette, RGB and RGBA, every header size and row order). Every kind,
// against Pillow: test_bmp_decode.
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <functional>
#include <iterator>
#include <random>
#include <string>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "image_decode_parity_test_support.hpp"
#include "image_fixtures.hpp"

namespace kmq::io {
namespace {

using namespace kmq::io::testing;

// --- BMP: the kinds OpenCV read right (every kind: test_bmp_decode) ---------

bytes bmp_of(std::int32_t width, std::int32_t height, int bpp, std::uint32_t compression, std::uint32_t header_size,
             std::uint32_t colours_used, bool grey_palette, std::uint32_t seed) {
  std::mt19937 random(seed);
  auto put = [](bytes& b, std::uint32_t v, int n) {
    for (int i = 0; i < n; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  };
  const std::size_t entries = bpp == 8 ? (colours_used ? colours_used : 256) : 0;
  const std::uint32_t pitch = ((static_cast<std::uint32_t>(width) * bpp + 7) / 8 + 3) & ~3u;
  const std::uint32_t rows = static_cast<std::uint32_t>(height < 0 ? -height : height);
  // Bit fields after a 40-byte header: three masks (inside the later headers).
  const std::uint32_t masks_after = compression == 3 && header_size == 40 ? 12 : 0;
  const std::uint32_t offset = 14 + header_size + masks_after + static_cast<std::uint32_t>(entries * 4);
  bytes b = {'B', 'M'};
  put(b, offset + pitch * rows, 4);
  put(b, 0, 4);
  put(b, offset, 4);
  put(b, header_size, 4);
  put(b, static_cast<std::uint32_t>(width), 4);
  put(b, static_cast<std::uint32_t>(height), 4);
  put(b, 1, 2);
  put(b, static_cast<std::uint32_t>(bpp), 2);
  put(b, compression, 4);
  put(b, pitch * rows, 4);
  put(b, 2835, 4);
  put(b, 2835, 4);
  put(b, colours_used, 4);
  put(b, 0, 4);
  if (header_size >= 52) put(b, 0x00ff0000, 4), put(b, 0x0000ff00, 4), put(b, 0x000000ff, 4);
  if (header_size >= 56) put(b, 0xff000000, 4);
  while (b.size() < 14 + header_size) b.push_back(0);
  if (masks_after != 0) put(b, 0x00ff0000, 4), put(b, 0x0000ff00, 4), put(b, 0x000000ff, 4);
  for (std::size_t i = 0; i < entries; ++i) {
    const auto v = static_cast<std::uint8_t>(random());
    if (grey_palette) b.insert(b.end(), {v, v, v, 0});
    else b.insert(b.end(), {v, static_cast<std::uint8_t>(random()), static_cast<std::uint8_t>(random()), 0});
  }
  for (std::uint32_t i = 0; i < pitch * rows; ++i) b.push_back(static_cast<std::uint8_t>(random()));
  return b;
}

TEST(ImageDecodeParity, BmpPaletteRgbAndRgbaInEveryHeaderAndRowOrder) {
  std::uint32_t seed = 1;
  for (const std::int32_t height : {9, -9}) {
    for (const std::uint32_t header : {40u, 56u, 108u, 124u}) {
      for (const std::int32_t width : {1, 13, 16}) {
        const std::string at = " " + std::to_string(width) + "x" + std::to_string(height) + " header " + std::to_string(header);
        expect_same_as_opencv(bmp_of(width, height, 24, 0, header, 0, false, seed++), false, "24" + at);
        expect_same_as_opencv(bmp_of(width, height, 32, 0, header, 0, false, seed++), false, "32 BI_RGB" + at);
        // OpenCV read a 32-bit bit-field BMP as B, G, R, A bytes whatever the
        // masks; without an alpha mask (headers under 56 bytes here) the
        // fourth byte is no alpha.
        const auto opaque = [](reference_image& want) {
          for (packed_rgba& p : want.pixels) p |= 0xff000000u;
          want.has_alpha = false;
        };
        expect_same_as_opencv(bmp_of(width, height, 32, 3, header, 0, false, seed++), false, "32 BITFIELDS" + at,
                              header < 56 ? std::function<void(reference_image&)>(opaque) : nullptr);
        for (const std::uint32_t used : {0u, 16u, 256u})
          for (const bool grey : {false, true})
            expect_same_as_opencv(bmp_of(width, height, 8, 0, header, used, grey, seed++), false,
                                  "8 used " + std::to_string(used) + (grey ? " grey" : "") + at);
      }
    }
  }
  const cv::Mat bgr = noise_bgr(29, 11);
  cv::Mat gray;
  cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
  expect_same_as_opencv(encode(".bmp", bgr), false, "opencv bmp");
  expect_same_as_opencv(encode(".bmp", gray), false, "opencv grey bmp");
}

}  // namespace
}  // namespace kmq::io
