// The pixel data of an indexed PNG (its IDAT chunks and the IEND after them),
// compressed with libdeflate rather than through libpng's zlib stream.
#pragma once
#include <cstdint>
#include <vector>

namespace kmq::io::detail {

// Highest level libdeflate knows; 10-12 search much harder for smaller output.
constexpr int max_deflate_level = 12;

// Appends IDAT chunks and IEND to out: rows of width indices (one a byte in
// indices) packed to bit_depth (1, 2, 4 or 8), each after filter byte 0 (none),
// as one zlib stream at the given libdeflate level (0-12), compressed on up
// to threads threads (0 = every core). The bytes depend on the other
// arguments only: not on threads, no state.
void append_image_data(std::vector<std::uint8_t>& out, const std::uint8_t* indices, std::uint32_t width,
                       std::uint32_t height, int bit_depth, int level, unsigned threads);

}  // namespace kmq::io::detail
