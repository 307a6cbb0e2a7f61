// libdeflate compresses the rows (it has no streaming interface, which is why
// they are gathered first): 3-5x faster than zlib at the same level and a
// little smaller, see bench/NOTES.md. Images over one piece are compressed in
// pieces on every core (deflate_pieces.hpp).
#include "png_image_data.hpp"

#include <libdeflate.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <utility>

#include "deflate_pieces.hpp"
#include "kmq/error.hpp"
#include "kmq/io/png_encoder.hpp"

namespace kmq::io::detail {
namespace {

// Longer IDATs only save 12 bytes a chunk; streaming readers prefer them bounded.
constexpr std::size_t idat_bytes = std::size_t{1} << 20;

void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  const std::uint8_t bytes[4] = {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
                                 static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
  out.insert(out.end(), bytes, bytes + 4);
}

void append_chunk(std::vector<std::uint8_t>& out, const char (&type)[5], const std::uint8_t* data, std::size_t size) {
  put_u32(out, static_cast<std::uint32_t>(size));
  const std::size_t start = out.size();
  out.insert(out.end(), type, type + 4);
  if (size > 0) out.insert(out.end(), data, data + size);
  // The CRC covers the type and the data.
  put_u32(out, static_cast<std::uint32_t>(libdeflate_crc32(0, out.data() + start, out.size() - start)));
}

// Sub-byte depths: the first pixel in the high bits, the last byte's unused
// bits zero (as libpng's png_set_packing writes them).
void pack_row(std::uint8_t* to, const std::uint8_t* from, std::uint32_t width, int bit_depth) {
  if (bit_depth == 8) {
    std::memcpy(to, from, width);
    return;
  }
  const int per_byte = 8 / bit_depth;
  const std::size_t bytes = (std::size_t{width} * static_cast<std::size_t>(bit_depth) + 7) / 8;
  for (std::size_t b = 0; b < bytes; ++b) {
    unsigned packed = 0;
    for (int i = 0; i < per_byte; ++i) {
      const std::size_t x = b * static_cast<std::size_t>(per_byte) + static_cast<std::size_t>(i);
      const unsigned v = x < width ? from[x] : 0u;
      packed |= v << (8 - bit_depth * (i + 1));
    }
    to[b] = static_cast<std::uint8_t>(packed);
  }
}

}  // namespace

void append_image_data(std::vector<std::uint8_t>& out, const std::uint8_t* indices, std::uint32_t width,
                       std::uint32_t height, int bit_depth, int level, unsigned threads) {
  if (level < 0 || level > max_deflate_level)
    throw error(error_kind::invalid_argument, "PNG level " + std::to_string(level) + " is not 0-12");
  const std::size_t row_bytes = (std::size_t{width} * static_cast<std::size_t>(bit_depth) + 7) / 8;
  const std::size_t raw_size = (row_bytes + 1) * height;
  std::unique_ptr<std::uint8_t[]> raw(new std::uint8_t[raw_size]);
  for (std::uint32_t y = 0; y < height; ++y) {
    std::uint8_t* row = raw.get() + std::size_t{y} * (row_bytes + 1);
    row[0] = 0;  // filter none: on palette indices the filters cost time and bytes
    pack_row(row + 1, indices + std::size_t{y} * width, width, bit_depth);
  }
  std::vector<std::uint8_t> zlib = zlib_compress_pieces(raw.get(), raw_size, level, deflate_piece_bytes, threads);
  if (level == default_png_level) {
    // Decided on the default level's size, so the same rows try the same levels.
    const std::size_t at_default = zlib.size();
    for (const auto& [other_level, ratio] : {std::pair{tighter_png_level, highly_compressible_ratio},
                                             std::pair{greedy_png_level, compressible_ratio}}) {
      if (at_default * ratio >= raw_size) continue;
      std::vector<std::uint8_t> other = zlib_compress_pieces(raw.get(), raw_size, other_level, deflate_piece_bytes, threads);
      if (other.size() < zlib.size()) zlib = std::move(other);
    }
  }
  const std::size_t size = zlib.size();
  raw.reset();
  out.reserve(out.size() + size + (size / idat_bytes + 2) * 12);
  for (std::size_t at = 0; at < size; at += idat_bytes)
    append_chunk(out, "IDAT", zlib.data() + at, std::min(idat_bytes, size - at));
  append_chunk(out, "IEND", nullptr, 0);
}

}  // namespace kmq::io::detail
