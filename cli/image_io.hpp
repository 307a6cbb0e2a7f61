// Image files in and out. Decoding goes through OpenCV; the palette PNG is
// written with libpng. Errors are kmq::cli::failure with the path and reason.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "kmq/pixels.hpp"

namespace kmq::cli {

struct decoded_image {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::vector<packed_rgba> pixels;  // row-major, width * height, 8-bit RGBA
  bool has_alpha = false;           // the file carried an alpha channel (or a palette tRNS)
  std::uint64_t file_bytes = 0;
};

// PNG, JPEG, WebP, TIFF, BMP. Grayscale, 16-bit, palette and CMYK inputs become
// 8-bit RGBA; JPEG EXIF orientation is applied. Refuses (exit_data) an image
// whose header claims more than max_pixels pixels, before allocating for it;
// missing or unreadable file: exit_no_input; empty, truncated or not an image:
// exit_data.
decoded_image decode_image(const std::string& path, std::uint64_t max_pixels);

// An indexed PNG: PLTE (+ tRNS when any entry has alpha < 255), bit depth
// 1/2/4/8 from the palette size, filter none, no tIME chunk, deflate level
// 0-9. palette: 1..256 entries; indices: width * height, each < palette size.
std::vector<std::uint8_t> encode_palette_png(const std::vector<packed_rgba>& palette,
                                             const std::vector<std::uint8_t>& indices, std::uint32_t width,
                                             std::uint32_t height, int zlib_level);

constexpr int default_png_level = 6;

}  // namespace kmq::cli
