// True-colour PNGs out (libpng, into memory): what previews of a photo need,
// where a palette PNG would have to quantize it first.
#pragma once
#include <cstdint>
#include <vector>

#include "kmq/pixels.hpp"

namespace kmq::io {

// An 8-bit RGB PNG (colour type 2), or RGBA (type 6) with keep_alpha; libpng's
// adaptive row filters, no tIME chunk, deflate level 0-9. pixels: width *
// height, row-major. Throws error(invalid_argument) for arguments outside
// those ranges.
std::vector<std::uint8_t> encode_rgba_png(const std::vector<packed_rgba>& pixels, std::uint32_t width,
                                          std::uint32_t height, bool keep_alpha, int zlib_level);

}  // namespace kmq::io
