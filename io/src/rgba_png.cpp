// encode_rgba_png(): a true-colour PNG written by libpng into memory.
#include "kmq/io/rgba_png.hpp"

#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <new>
#include <string>

#include "kmq/error.hpp"
#include "png_memory_writer.hpp"

namespace kmq::io {
namespace {

using detail::png_writer;
using detail::write_context;

// Rows are packed by the caller (3 or 4 bytes a pixel); every libpng call that
// can fail runs after setjmp, with no C++ object in this frame.
bool write_png(png_structp png, png_infop info, const std::uint8_t* rows, std::size_t row_bytes, std::uint32_t width,
               std::uint32_t height, bool keep_alpha, int zlib_level) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_user_limits(png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
  png_set_IHDR(png, info, width, height, 8, keep_alpha ? PNG_COLOR_TYPE_RGBA : PNG_COLOR_TYPE_RGB,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_set_compression_level(png, zlib_level);
  png_write_info(png, info);
  for (std::uint32_t y = 0; y < height; ++y) png_write_row(png, rows + std::size_t{y} * row_bytes);
  png_write_end(png, nullptr);
  return true;
}

}  // namespace

std::vector<std::uint8_t> encode_rgba_png(const std::vector<packed_rgba>& pixels, std::uint32_t width,
                                          std::uint32_t height, bool keep_alpha, int zlib_level) {
  if (width == 0 || height == 0 || width > PNG_UINT_31_MAX || height > PNG_UINT_31_MAX)
    throw error(error_kind::invalid_argument,
                "encode_rgba_png: " + std::to_string(width) + "x" + std::to_string(height) + " is not a PNG size");
  if (std::uint64_t{width} * height != pixels.size())
    throw error(error_kind::invalid_argument, "encode_rgba_png: " + std::to_string(pixels.size()) + " pixels for " +
                                                  std::to_string(width) + "x" + std::to_string(height));
  if (zlib_level < 0 || zlib_level > 9)
    throw error(error_kind::invalid_argument, "encode_rgba_png: zlib level " + std::to_string(zlib_level) + " is not 0-9");

  const std::size_t bytes_per_pixel = keep_alpha ? 4 : 3;
  const std::size_t row_bytes = std::size_t{width} * bytes_per_pixel;
  std::vector<std::uint8_t> rows(row_bytes * height);
  std::uint8_t* to = rows.data();
  for (const packed_rgba c : pixels) {
    for (std::size_t channel = 0; channel < bytes_per_pixel; ++channel)
      *to++ = static_cast<std::uint8_t>(channel_of(c, static_cast<int>(channel)));
  }

  std::vector<std::uint8_t> out;
  write_context context{&out, {}};
  {
    const png_writer writer(&context);
    if (write_png(writer.png(), writer.info(), rows.data(), row_bytes, width, height, keep_alpha, zlib_level))
      return out;
  }
  if (std::string(context.error) == "out of memory") throw std::bad_alloc();
  throw error(error_kind::internal, std::string("libpng: ") + context.error);
}

}  // namespace kmq::io
