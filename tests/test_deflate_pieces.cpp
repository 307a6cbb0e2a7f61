// The deflate block scanner against libdeflate's own decoder, the pieces'
// joined zlib stream against libdeflate's and zlib's inflate, and palette PNGs
// encoded on several threads against libpng and kmq's decoder.
#include <gtest/gtest.h>
#include <libdeflate.h>
#include <png.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "deflate_block_scan.hpp"
#include "deflate_pieces.hpp"
#include "kmq/error.hpp"
#include "kmq/io/image_decoder.hpp"
#include "kmq/io/png_encoder.hpp"

namespace kmq::io::detail {
namespace {

using bytes = std::vector<std::uint8_t>;

// Kinds of input whose deflate streams differ: stored, fixed and dynamic
// blocks, long matches, short codes and codes longer than the scanner's table.
bytes make_input(const std::string& kind, std::size_t size, std::uint32_t seed) {
  std::mt19937 rng(seed);
  bytes out(size);
  if (kind == "random") {
    for (auto& b : out) b = static_cast<std::uint8_t>(rng());
  } else if (kind == "runs") {
    for (std::size_t i = 0; i < size;) {
      const std::size_t run = 1 + rng() % 300;
      const auto v = static_cast<std::uint8_t>(rng() % 7);
      for (std::size_t j = 0; j < run && i < size; ++j) out[i++] = v;
    }
  } else if (kind == "palette") {  // rows of a quantized photo: smooth regions, noisy edges, skewed histogram
    const std::size_t width = 997;
    std::uint8_t v = 0;
    for (std::size_t i = 0; i < size; ++i) {
      if (i >= width && rng() % 4 != 0) {
        out[i] = out[i - width];
      } else {
        if (rng() % 6 == 0) v = static_cast<std::uint8_t>(std::geometric_distribution<int>(0.05)(rng) & 0xff);
        out[i] = v;
      }
    }
  }  // "zeros": as made
  return out;
}

bytes deflate_raw(const bytes& in, int level) {
  libdeflate_compressor* c = libdeflate_alloc_compressor(level);
  bytes out(libdeflate_deflate_compress_bound(c, in.size()));
  out.resize(libdeflate_deflate_compress(c, in.data(), in.size(), out.data(), out.size()));
  libdeflate_free_compressor(c);
  return out;
}

bytes zlib_one_call(const bytes& in, int level) {
  libdeflate_compressor* c = libdeflate_alloc_compressor(level);
  bytes out(libdeflate_zlib_compress_bound(c, in.size()));
  out.resize(libdeflate_zlib_compress(c, in.data(), in.size(), out.data(), out.size()));
  libdeflate_free_compressor(c);
  return out;
}

void expect_scan_matches_libdeflate(const bytes& raw, int level, const std::string& what) {
  const bytes stream = deflate_raw(raw, level);
  ASSERT_FALSE(stream.empty()) << what;
  const deflate_block_scan scan = scan_deflate_blocks(stream.data(), stream.size());
  bytes back(raw.size() + 1);
  std::size_t in_bytes = 0;
  std::size_t out_bytes = 0;
  libdeflate_decompressor* d = libdeflate_alloc_decompressor();
  const auto result =
      libdeflate_deflate_decompress_ex(d, stream.data(), stream.size(), back.data(), back.size(), &in_bytes, &out_bytes);
  libdeflate_free_decompressor(d);
  ASSERT_EQ(result, LIBDEFLATE_SUCCESS) << what;
  EXPECT_EQ((scan.end_bit + 7) / 8, in_bytes) << what;
  EXPECT_GE(scan.blocks, 1u) << what;
  EXPECT_LT(scan.last_header_bit, scan.end_bit) << what;
  EXPECT_EQ((stream[scan.last_header_bit / 8] >> (scan.last_header_bit % 8)) & 1, 1) << what << ": BFINAL";
}

TEST(DeflateBlockScan, EndsWhereLibdeflatesDecoderStopsAtEveryLevel) {
  const char* kinds[] = {"random", "zeros", "runs", "palette"};
  const std::size_t sizes[] = {0, 1, 1000, 100'000, 700'000};
  std::uint32_t seed = 1;
  for (int level = 0; level <= 12; ++level)
    for (const char* kind : kinds)
      for (std::size_t size : sizes)
        expect_scan_matches_libdeflate(make_input(kind, size, seed++), level,
                                       std::string(kind) + " " + std::to_string(size) + " bytes, level " +
                                           std::to_string(level));
}

TEST(DeflateBlockScan, ManyBlocksOfMegabytes) {
  for (int level : {0, 1, 6, 9})
    for (const char* kind : {"random", "palette"})
      expect_scan_matches_libdeflate(make_input(kind, 3 << 20, 7), level,
                                     std::string(kind) + " 3 MiB, level " + std::to_string(level));
}

TEST(DeflateBlockScan, ThrowsOnMalformedStreams) {
  const bytes stream = deflate_raw(make_input("palette", 200'000, 3), 6);
  for (std::size_t keep : {std::size_t{0}, std::size_t{1}, stream.size() / 2, stream.size() - 1})
    EXPECT_THROW(scan_deflate_blocks(stream.data(), keep), error) << "cut to " << keep << " bytes";
  const std::uint8_t type3[] = {0x07, 0, 0, 0};
  EXPECT_THROW(scan_deflate_blocks(type3, sizeof type3), error);
  const std::uint8_t bad_stored[] = {0x01, 0x05, 0x00, 0x00, 0x00, 1, 2, 3, 4, 5};  // NLEN is not ~LEN
  EXPECT_THROW(scan_deflate_blocks(bad_stored, sizeof bad_stored), error);
}

bytes inflate_with_libdeflate(const bytes& zlib, std::size_t expected) {
  bytes out(expected);
  std::size_t got = 0;
  libdeflate_decompressor* d = libdeflate_alloc_decompressor();
  const auto result = libdeflate_zlib_decompress(d, zlib.data(), zlib.size(), out.data(), out.size(), &got);
  libdeflate_free_decompressor(d);
  if (result != LIBDEFLATE_SUCCESS) return {};
  out.resize(got);
  return out;
}

bytes inflate_with_zlib(const bytes& zlib, std::size_t expected) {
  bytes out(expected + 1);
  uLongf got = out.size();
  if (uncompress(out.data(), &got, zlib.data(), zlib.size()) != Z_OK) return {};
  out.resize(got);
  return out;
}

TEST(DeflatePieces, JoinedStreamInflatesToTheRawBytesAtEveryLevel) {
  const std::size_t piece = 64 * 1024;
  const bytes raw = make_input("palette", 5 * piece + 1234, 11);  // six pieces, the last short
  for (int level = 0; level <= 12; ++level) {
    const bytes joined = zlib_compress_pieces(raw.data(), raw.size(), level, piece, 1);
    EXPECT_EQ(inflate_with_libdeflate(joined, raw.size()), raw) << "level " << level;
    EXPECT_EQ(inflate_with_zlib(joined, raw.size()), raw) << "level " << level;
    for (unsigned threads : {2u, 3u, 8u})
      EXPECT_EQ(zlib_compress_pieces(raw.data(), raw.size(), level, piece, threads), joined)
          << "level " << level << ", " << threads << " threads";
  }
}

TEST(DeflatePieces, PieceCountsFromOneToMany) {
  for (const char* kind : {"random", "zeros", "runs", "palette"}) {
    const bytes raw = make_input(kind, 300'001, 5);
    for (std::size_t piece : {raw.size(), raw.size() / 2 + 1, std::size_t{65'536}, std::size_t{4'096}, std::size_t{1}}) {
      if (piece == 1 && std::string(kind) != "runs") continue;  // 300,001 pieces once is enough
      const std::string what = std::string(kind) + ", pieces of " + std::to_string(piece);
      const bytes joined = zlib_compress_pieces(raw.data(), raw.size(), 6, piece, 3);
      EXPECT_EQ(inflate_with_libdeflate(joined, raw.size()), raw) << what;
      EXPECT_EQ(inflate_with_zlib(joined, raw.size()), raw) << what;
      EXPECT_EQ(zlib_compress_pieces(raw.data(), raw.size(), 6, piece, 1), joined) << what;
    }
  }
}

TEST(DeflatePieces, OnePieceIsLibdeflatesOwnStreamAndTheHeaderIsItsToo) {
  for (int level = 0; level <= 12; ++level) {
    const bytes raw = make_input("palette", 50'000, 13);
    const bytes one = zlib_one_call(raw, level);
    EXPECT_EQ(zlib_compress_pieces(raw.data(), raw.size(), level, raw.size(), 4), one) << "level " << level;
    bytes header;
    append_zlib_header(header, level);
    EXPECT_EQ(header, bytes(one.begin(), one.begin() + 2)) << "level " << level;
  }
}

// The join's two edits are both needed: a piece left with BFINAL set ends the
// stream there, so this check fails should the joiner stop clearing it.
TEST(DeflatePieces, BfinalLeftSetEndsTheStreamEarly) {
  const bytes raw = make_input("palette", 200'000, 17);
  const std::size_t half = raw.size() / 2;
  const bytes first = deflate_raw(bytes(raw.begin(), raw.begin() + static_cast<long>(half)), 6);
  const bytes second = deflate_raw(bytes(raw.begin() + static_cast<long>(half), raw.end()), 6);
  const deflate_block_scan scan = scan_deflate_blocks(first.data(), first.size());
  for (bool clear : {true, false}) {
    bytes joined;
    append_zlib_header(joined, 6);
    append_continued_piece(joined, first.data(), scan);
    if (!clear) joined[2 + scan.last_header_bit / 8] |= static_cast<std::uint8_t>(1u << (scan.last_header_bit % 8));
    joined.insert(joined.end(), second.begin(), second.end());
    const std::uint32_t adler = libdeflate_adler32(1, raw.data(), raw.size());
    for (int shift = 24; shift >= 0; shift -= 8) joined.push_back(static_cast<std::uint8_t>(adler >> shift));
    if (clear) {
      EXPECT_EQ(inflate_with_libdeflate(joined, raw.size()), raw);
      EXPECT_EQ(inflate_with_zlib(joined, raw.size()), raw);
      EXPECT_EQ(joined, zlib_compress_pieces(raw.data(), raw.size(), 6, half, 2));
    } else {
      EXPECT_NE(inflate_with_libdeflate(joined, raw.size()), raw);
      EXPECT_NE(inflate_with_zlib(joined, raw.size()), raw);
    }
  }
}

// Indices as libpng reads them back (packed depths expanded to a byte each).
// The joiner must not rely on libdeflate padding with zeros: with the bits
// after a piece's end set to one, and a piece ending at every bit of its last
// byte (0-7), the joined stream still inflates.
TEST(DeflatePieces, PaddingBitsAreOverwrittenAtEveryEndBit) {
  std::vector<bool> seen(8, false);
  for (std::uint32_t seed = 1; seed < 400 && std::count(seen.begin(), seen.end(), false) > 0; ++seed) {
    const bytes raw = make_input(seed % 2 ? "palette" : "random", 3000 + seed * 37, seed);
    const std::size_t half = raw.size() / 2;
    bytes first = deflate_raw(bytes(raw.begin(), raw.begin() + static_cast<long>(half)), 1 + static_cast<int>(seed % 9));
    const bytes second = deflate_raw(bytes(raw.begin() + static_cast<long>(half), raw.end()), 6);
    const deflate_block_scan scan = scan_deflate_blocks(first.data(), first.size());
    const unsigned used = static_cast<unsigned>(scan.end_bit % 8);
    if (seen[used]) continue;
    seen[used] = true;
    if (used != 0) first[(scan.end_bit - 1) / 8] |= static_cast<std::uint8_t>(0xffu << used);
    bytes joined;
    append_zlib_header(joined, 6);
    append_continued_piece(joined, first.data(), scan);
    joined.insert(joined.end(), second.begin(), second.end());
    const std::uint32_t adler = libdeflate_adler32(1, raw.data(), raw.size());
    for (int shift = 24; shift >= 0; shift -= 8) joined.push_back(static_cast<std::uint8_t>(adler >> shift));
    EXPECT_EQ(inflate_with_libdeflate(joined, raw.size()), raw) << "end bit % 8 = " << used;
    EXPECT_EQ(inflate_with_zlib(joined, raw.size()), raw) << "end bit % 8 = " << used;
  }
  for (unsigned used = 0; used < 8; ++used) EXPECT_TRUE(seen[used]) << "no piece ended at bit " << used << " of a byte";
}

bytes libpng_indices(const bytes& png, std::uint32_t width, std::uint32_t height) {
  struct reader {
    const bytes* data;
    std::size_t at = 0;
  } source{&png};
  png_structp p = png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(p);
  bytes out(std::size_t{width} * height);
  if (setjmp(png_jmpbuf(p))) {
    png_destroy_read_struct(&p, &info, nullptr);
    return {};
  }
  png_set_read_fn(p, &source, [](png_structp s, png_bytep to, png_size_t n) {
    auto* r = static_cast<reader*>(png_get_io_ptr(s));
    if (r->at + n > r->data->size()) png_error(s, "read past the end");
    std::memcpy(to, r->data->data() + r->at, n);
    r->at += n;
  });
  png_read_info(p, info);
  png_set_packing(p);
  png_read_update_info(p, info);
  for (std::uint32_t y = 0; y < height; ++y) png_read_row(p, out.data() + std::size_t{y} * width, nullptr);
  png_read_end(p, nullptr);
  png_destroy_read_struct(&p, &info, nullptr);
  return out;
}

TEST(DeflatePieces, PalettePngsAreTheSameOnAnyThreadCountAndDecode) {
  // Wide enough that every depth's raw rows take several pieces.
  const std::uint32_t width = 4000;
  const std::uint32_t height = 1200;
  for (std::size_t colours : {2u, 4u, 16u, 200u}) {
    std::vector<packed_rgba> palette;
    for (std::size_t i = 0; i < colours; ++i)
      palette.push_back(pack_rgba(static_cast<std::uint8_t>(i * 37), static_cast<std::uint8_t>(i * 91),
                                  static_cast<std::uint8_t>(255 - i), static_cast<std::uint8_t>(i % 3 == 0 ? 128 : 255)));
    bytes indices = make_input("palette", std::size_t{width} * height, static_cast<std::uint32_t>(colours));
    for (auto& v : indices) v = static_cast<std::uint8_t>(v % colours);
    const std::string what = std::to_string(colours) + " colours";
    const bytes png = encode_palette_png(palette, indices, width, height, 6, png_metadata{}, 1);
    for (unsigned threads : {2u, 3u, 8u, 0u})
      EXPECT_EQ(encode_palette_png(palette, indices, width, height, 6, png_metadata{}, threads), png)
          << what << ", " << threads << " threads";
    EXPECT_EQ(libpng_indices(png, width, height), indices) << what;
    const decoded_image back = image_decoder().decode_bytes(png, "pieces.png");
    ASSERT_EQ(back.pixels.size(), indices.size()) << what;
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < indices.size(); ++i) wrong += back.pixels[i] != palette[indices[i]];
    EXPECT_EQ(wrong, 0u) << what;
  }
}

// An image whose rows fit one piece keeps the bytes of one libdeflate call.
TEST(DeflatePieces, SmallImagesKeepOneStream) {
  const std::uint32_t width = 300;
  const std::uint32_t height = 200;
  std::vector<packed_rgba> palette;
  for (int i = 0; i < 100; ++i) palette.push_back(pack_rgba(static_cast<std::uint8_t>(i), 0, 0, 255));
  bytes indices = make_input("palette", std::size_t{width} * height, 21);
  for (auto& v : indices) v = static_cast<std::uint8_t>(v % 100);
  bytes raw;
  for (std::uint32_t y = 0; y < height; ++y) {
    raw.push_back(0);
    raw.insert(raw.end(), indices.begin() + static_cast<long>(y * width), indices.begin() + static_cast<long>((y + 1) * width));
  }
  const bytes png = encode_palette_png(palette, indices, width, height, 6, png_metadata{}, 3);
  const bytes expected = zlib_one_call(raw, 6);
  EXPECT_NE(std::search(png.begin(), png.end(), expected.begin(), expected.end()), png.end());
}

}  // namespace
}  // namespace kmq::io::detail
