// PNG files written by libpng into memory, for the decoder tests: the caller
// sets the header and any chunks on libpng's structs, and gives the rows.
#pragma once
#include <png.h>

#include <cstdint>
#include <functional>
#include <vector>

namespace kmq::io::testing {

inline void append_to_bytes(png_structp png, png_bytep data, png_size_t length) {
  auto* out = static_cast<std::vector<std::uint8_t>*>(png_get_io_ptr(png));
  out->insert(out->end(), data, data + length);
}
inline void flush_nothing(png_structp) {}

// Empty when libpng refuses the header or the chunks.
inline std::vector<std::uint8_t> write_with_libpng(const std::function<void(png_structp, png_infop)>& set_up,
                                                   std::vector<std::vector<png_byte>>& rows) {
  std::vector<std::uint8_t> out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  std::vector<png_bytep> pointers;
  for (auto& row : rows) pointers.push_back(row.data());
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return {};
  }
  png_set_write_fn(png, &out, append_to_bytes, flush_nothing);
  set_up(png, info);
  png_write_info(png, info);
  png_write_image(png, pointers.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

}  // namespace kmq::io::testing
