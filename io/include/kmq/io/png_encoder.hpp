// Palette PNGs out, written into memory (libpng for the chunks, libdeflate for the pixels).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kmq/io/png_colour_chunks.hpp"
#include "kmq/pixels.hpp"

namespace kmq::io {

// Deflate levels are libdeflate's: 0 stores, 1-9 as zlib's (faster and a
// little smaller at the same number), 10-12 the smallest files at several
// times the time (see the README, "The PNG").
// At default_png_level, rows that compress to under 1/highly_compressible_ratio
// of their bytes (screenshots, charts, smooth gradients) are compressed again
// at tighter_png_level and the smaller kept: 15-30 % smaller there (a
// screenshot at K=16: 6,930 -> 5,581 B, pngquant's 5,550) for a few ms, where
// photos (a fifth to a half of their bytes) gain nothing from it.
// Rows that compress to under 1/compressible_ratio at the default level are
// also compressed at greedy_png_level and the smaller kept: libdeflate's lazy
// parser (levels 5-9) follows its hash chains only so deep, and on rows of
// repeated runs (pixel art scaled up by nearest neighbour) the long match a
// row above is found by the greedy parser instead: 12-30 % smaller there
// (200 colours scaled 6x to 1500x1500, at K=256: 166,122 -> 117,462 B,
// pngquant's 116,021), never larger, as the smaller stream is kept.
constexpr int default_png_level = 6;
constexpr int tighter_png_level = 9;
constexpr std::size_t highly_compressible_ratio = 25;
constexpr int greedy_png_level = 3;
constexpr std::size_t compressible_ratio = 6;
constexpr int max_png_level = 12;

// An indexed PNG: PLTE (+ tRNS when any entry has alpha < 255), bit depth
// 1/2/4/8 from the palette size, filter none, no tIME chunk, deflate level
// 0-12. palette: 1..256 entries; indices: width * height, each < palette size.
// Throws error(invalid_argument) for arguments outside those ranges. One
// thread (the overload with a thread count below spreads the deflate).
std::vector<std::uint8_t> encode_palette_png(const std::vector<packed_rgba>& palette,
                                             const std::vector<std::uint8_t>& indices, std::uint32_t width,
                                             std::uint32_t height, int zlib_level);

// What a PNG carries besides its pixels.
struct png_metadata {
  std::vector<std::uint8_t> icc_profile;  // written as iCCP when not empty
  // Written where there is no iCCP (which readers prefer, and beside which
  // sRGB may not stand): sRGB alone when there is one, else gAMA and cHRM.
  png_colour_chunks colour_chunks;
};

// The same, with metadata: with an empty one, the very same bytes as above.
std::vector<std::uint8_t> encode_palette_png(const std::vector<packed_rgba>& palette,
                                             const std::vector<std::uint8_t>& indices, std::uint32_t width,
                                             std::uint32_t height, int zlib_level, const png_metadata& metadata);

// The same bytes, with the pixels' deflate on up to threads threads (0 = every
// core): an image larger than one piece of raw rows is compressed in pieces of
// a fixed size joined into one zlib stream, so the thread count changes the
// time only, never a byte.
std::vector<std::uint8_t> encode_palette_png(const std::vector<packed_rgba>& palette,
                                             const std::vector<std::uint8_t>& indices, std::uint32_t width,
                                             std::uint32_t height, int zlib_level, const png_metadata& metadata,
                                             unsigned threads);

}  // namespace kmq::io
