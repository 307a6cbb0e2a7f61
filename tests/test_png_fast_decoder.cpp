// The PNG fast path (libdeflate + kmq's own unfiltering, png_fast_decoder.cpp)
// gives the pixels libpng gives (through OpenCV, the decoders' reference) for
// every filter type, row width and chunk layout it takes, and declines every
// file it does not take, broken ones included, so libpng's verdict stands.
#include <gtest/gtest.h>

#include <png.h>
#include <zlib.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "format_decoders.hpp"
#include "image_fixtures.hpp"
#include "kmq/error.hpp"
#include "kmq/io/image_decoder.hpp"
#include "libpng_writer.hpp"

namespace kmq::io {
namespace {

using namespace kmq::io::testing;

struct png_spec {
  std::uint32_t width = 61, height = 23;
  int channels = 3;              // 3 (RGB) or 4 (RGBA)
  int filters = PNG_ALL_FILTERS; // PNG_FILTER_NONE ... PNG_FILTER_PAETH, or all (libpng picks per row)
  std::size_t idat_bytes = 8192; // libpng's compression buffer: the size of each IDAT
  bool smooth = false;           // a gradient with noise (long Paeth runs), or noise
  bool suggested_palette = false;
};

bytes write_png(const png_spec& s, std::uint32_t seed) {
  std::mt19937 random(seed);
  std::vector<png_color> palette(s.suggested_palette ? 16 : 0);
  for (auto& c : palette) c = {static_cast<png_byte>(random()), static_cast<png_byte>(random()), static_cast<png_byte>(random())};
  std::vector<std::vector<png_byte>> rows(s.height, std::vector<png_byte>(std::size_t{s.width} * static_cast<std::size_t>(s.channels)));
  for (std::uint32_t y = 0; y < s.height; ++y) {
    for (std::size_t i = 0; i < rows[y].size(); ++i) {
      const std::size_t x = i / static_cast<std::size_t>(s.channels);
      // Values near 0 and 255 too: the predictors' sums wrap there.
      rows[y][i] = s.smooth ? static_cast<png_byte>(x * 3 + y * 5 + i % 3 * 80 + random() % 9)
                            : static_cast<png_byte>(random() % 4 == 0 ? (random() % 2) * 255 : random());
    }
  }
  return write_with_libpng(
      [&](png_structp png, png_infop info) {
        png_set_IHDR(png, info, s.width, s.height, 8, s.channels == 4 ? PNG_COLOR_TYPE_RGB_ALPHA : PNG_COLOR_TYPE_RGB,
                     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
        png_set_filter(png, PNG_FILTER_TYPE_BASE, s.filters);
        png_set_compression_buffer_size(png, s.idat_bytes);
        if (!palette.empty()) png_set_PLTE(png, info, palette.data(), static_cast<int>(palette.size()));
      },
      rows);
}

// The pixels libpng gives, through OpenCV's decoder (empty when it refuses the file).
std::vector<packed_rgba> libpng_pixels(const bytes& file) {
  const cv::Mat mat = cv::imdecode(file, cv::IMREAD_UNCHANGED);
  std::vector<packed_rgba> out;
  if (mat.empty() || mat.depth() != CV_8U) return out;
  for (int y = 0; y < mat.rows; ++y) {
    const std::uint8_t* p = mat.ptr<std::uint8_t>(y);
    for (int x = 0; x < mat.cols; ++x, p += mat.channels()) {
      out.push_back(pack_rgba(p[2], p[1], p[0], mat.channels() == 4 ? p[3] : 255));
    }
  }
  return out;
}

void expect_fast_and_exact(const bytes& file, const std::string& name) {
  SCOPED_TRACE(name);
  ASSERT_FALSE(file.empty());
  const std::vector<packed_rgba> want = libpng_pixels(file);
  ASSERT_FALSE(want.empty());
  decoded_image got;
  ASSERT_TRUE(detail::decode_png_fast(file.data(), file.size(), name, 1ull << 30, got)) << "fast path declined";
  ASSERT_EQ(got.pixels.size(), want.size());
  std::size_t differ = 0;
  for (std::size_t i = 0; i < want.size(); ++i) differ += got.pixels[i] != want[i];
  EXPECT_EQ(differ, 0u);
}

TEST(PngFastDecoder, EveryFilterTypeOnRgbAndRgbaOfEveryWidth) {
  const std::vector<std::pair<int, std::string>> filters = {
      {PNG_FILTER_NONE, "none"}, {PNG_FILTER_SUB, "sub"},     {PNG_FILTER_UP, "up"},
      {PNG_FILTER_AVG, "avg"},   {PNG_FILTER_PAETH, "paeth"}, {PNG_ALL_FILTERS, "adaptive"}};
  std::uint32_t seed = 7;
  for (const int channels : {3, 4}) {
    for (const auto& [filter, filter_name] : filters) {
      for (const std::uint32_t width : {1u, 2u, 3u, 5u, 64u, 257u}) {
        for (const bool smooth : {false, true}) {
          png_spec spec;
          spec.width = width;
          spec.channels = channels;
          spec.filters = filter;
          spec.smooth = smooth;
          expect_fast_and_exact(write_png(spec, seed++), std::to_string(channels) + " channels, " + filter_name +
                                                             ", width " + std::to_string(width) +
                                                             (smooth ? ", smooth" : ", noise"));
        }
      }
    }
  }
}

TEST(PngFastDecoder, ManySmallIdatsOneLargeIdatAndASuggestedPalette) {
  png_spec spec;
  spec.width = 300;
  spec.height = 40;
  spec.idat_bytes = 37;  // hundreds of IDAT chunks
  expect_fast_and_exact(write_png(spec, 1), "tiny IDATs");
  spec.idat_bytes = 1 << 20;
  expect_fast_and_exact(write_png(spec, 2), "one IDAT");
  spec.suggested_palette = true;
  expect_fast_and_exact(write_png(spec, 3), "RGB with a PLTE");
}

// --- files it leaves to libpng ------------------------------------------------

std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

struct chunk_at {
  std::size_t offset, length;
  std::string type;
};

std::vector<chunk_at> chunks_of(const bytes& file) {
  std::vector<chunk_at> out;
  for (std::size_t pos = 8; pos + 12 <= file.size();) {
    const std::size_t length = be32(&file[pos]);
    out.push_back({pos, length, std::string(reinterpret_cast<const char*>(&file[pos + 4]), 4)});
    pos += 12 + length;
  }
  return out;
}

bytes chunk(const char* type, const bytes& data) {
  bytes out;
  put_png_chunk(out, type, data);
  return out;
}

bytes insert_before(bytes file, const std::string& type, const bytes& piece) {
  for (const chunk_at& c : chunks_of(file)) {
    if (c.type == type) {
      file.insert(file.begin() + static_cast<std::ptrdiff_t>(c.offset), piece.begin(), piece.end());
      return file;
    }
  }
  return {};
}

// libpng's verdict stands: kmq's decoder gives the same pixels where libpng
// decodes the file, its error where not. Returns libpng's pixels (empty
// where it refused).
std::vector<packed_rgba> expect_libpngs_verdict(const bytes& file, const std::string& name) {
  std::string want_error, got_error;
  decoded_image want, got;
  try {
    detail::decode_png_with_libpng(file.data(), file.size(), name, 1ull << 30, want);
  } catch (const error& e) {
    want_error = e.what();
  }
  try {
    got = image_decoder().decode_bytes(file, name);
  } catch (const error& e) {
    got_error = e.what();
  }
  EXPECT_EQ(got_error, want_error);
  if (!want_error.empty()) return {};
  EXPECT_EQ(got.pixels, want.pixels);
  return want.pixels;
}

void expect_declined_and_libpngs_verdict(const bytes& file, const std::string& name) {
  SCOPED_TRACE(name);
  decoded_image fast;
  EXPECT_FALSE(detail::decode_png_fast(file.data(), file.size(), name, 1ull << 30, fast));
  expect_libpngs_verdict(file, name);
}

TEST(PngFastDecoder, DeclinesWhatLibpngDecidesBetter) {
  png_spec spec;
  spec.idat_bytes = 200;
  const bytes good = write_png(spec, 11);
  const std::vector<chunk_at> chunks = chunks_of(good);
  ASSERT_GE(chunks.size(), 4u);
  const chunk_at& first_idat = chunks[1];
  ASSERT_EQ(first_idat.type, "IDAT");

  bytes bad_crc = good;
  bad_crc[first_idat.offset + 12 + first_idat.length - 1] ^= 1;
  expect_declined_and_libpngs_verdict(bad_crc, "IDAT with a wrong CRC");

  bytes flipped = good;
  flipped[first_idat.offset + 8 + first_idat.length / 2] ^= 0x40;  // CRC fixed up below: the stream is wrong
  const bytes refixed = [&] {
    bytes body(flipped.begin() + static_cast<std::ptrdiff_t>(first_idat.offset + 8),
               flipped.begin() + static_cast<std::ptrdiff_t>(first_idat.offset + 8 + first_idat.length));
    bytes out(flipped.begin(), flipped.begin() + static_cast<std::ptrdiff_t>(first_idat.offset));
    const bytes replaced = chunk("IDAT", body);
    out.insert(out.end(), replaced.begin(), replaced.end());
    out.insert(out.end(), flipped.begin() + static_cast<std::ptrdiff_t>(first_idat.offset + 12 + first_idat.length),
               flipped.end());
    return out;
  }();
  expect_declined_and_libpngs_verdict(refixed, "corrupt image stream");

  expect_declined_and_libpngs_verdict(bytes(good.begin(), good.end() - 12), "no IEND");
  expect_declined_and_libpngs_verdict(bytes(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(good.size() / 2)),
                                      "truncated");
  expect_declined_and_libpngs_verdict(insert_before(good, "IEND", chunk("IDAT", {0x00})), "IDAT after another chunk");
  expect_declined_and_libpngs_verdict(insert_before(good, "IDAT", chunk("tRNS", {0, 1, 0, 2, 0, 3})), "RGB with tRNS");
  expect_declined_and_libpngs_verdict(insert_before(good, "IEND", chunk("ABCD", {1, 2, 3})), "unknown critical chunk");
  bytes bad_ancillary = insert_before(good, "IEND", chunk("tEXt", {'a', 0, 'b'}));
  bad_ancillary[bad_ancillary.size() - 13] ^= 1;  // the tEXt's CRC
  expect_declined_and_libpngs_verdict(bad_ancillary, "ancillary chunk with a wrong CRC");

  // A filter type the format does not have, in a stream that is otherwise sound.
  png_spec unfiltered;
  unfiltered.filters = PNG_FILTER_NONE;
  unfiltered.idat_bytes = 1 << 20;
  const bytes plain = write_png(unfiltered, 12);
  const chunk_at idat = chunks_of(plain)[1];
  bytes raw(std::size_t{unfiltered.height} * (unfiltered.width * 3 + 1));
  uLongf raw_size = raw.size();
  ASSERT_EQ(uncompress(raw.data(), &raw_size, &plain[idat.offset + 8], static_cast<uLong>(idat.length)), Z_OK);
  raw[raw.size() / 2 / (unfiltered.width * 3 + 1) * (unfiltered.width * 3 + 1)] = 7;
  bytes packed(compressBound(static_cast<uLong>(raw.size())));
  uLongf packed_size = packed.size();
  ASSERT_EQ(compress(packed.data(), &packed_size, raw.data(), static_cast<uLong>(raw.size())), Z_OK);
  packed.resize(packed_size);
  bytes bad_filter(plain.begin(), plain.begin() + static_cast<std::ptrdiff_t>(idat.offset));
  const bytes replaced = chunk("IDAT", packed);
  bad_filter.insert(bad_filter.end(), replaced.begin(), replaced.end());
  bad_filter.insert(bad_filter.end(), plain.begin() + static_cast<std::ptrdiff_t>(idat.offset + 12 + idat.length),
                    plain.end());
  expect_declined_and_libpngs_verdict(bad_filter, "filter type 7");
}

TEST(PngFastDecoder, TheLimitOnPixelsHoldsBeforeAnyPixelIsMade) {
  const bytes file = write_png(png_spec{}, 5);
  decoded_image image;
  EXPECT_THROW(detail::decode_png_fast(file.data(), file.size(), "big.png", 100, image), error);
  EXPECT_TRUE(image.pixels.empty());
}

// Streams libpng would never write, made byte by byte with sound checksums:
// random rows under random filter types (an invalid one now and then), short
// and long streams. Whatever the fast path does, the result is libpng's.
TEST(PngFastDecoder, RandomStreamsWithSoundChecksumsGiveLibpngsVerdict) {
  std::mt19937 random(2026);
  int taken = 0, declined = 0;
  for (int trial = 0; trial < 240; ++trial) {
    const int channels = trial % 2 == 0 ? 3 : 4;
    const std::uint32_t width = 1 + random() % 70, height = 1 + random() % 20;
    const std::size_t row_bytes = std::size_t{width} * static_cast<std::size_t>(channels) + 1;
    bytes raw(row_bytes * height);
    for (std::size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<std::uint8_t>(random());
    for (std::uint32_t y = 0; y < height; ++y) raw[y * row_bytes] = static_cast<std::uint8_t>(random() % 21 == 0 ? 5 + random() % 250 : random() % 5);
    const int cut = static_cast<int>(random() % 12);
    if (cut == 0) raw.resize(raw.size() - 1 - random() % raw.size() / 2);  // short
    if (cut == 1) raw.insert(raw.end(), 1 + random() % 40, 0x55);          // long
    bytes packed(compressBound(static_cast<uLong>(raw.size())));
    uLongf packed_size = packed.size();
    ASSERT_EQ(compress2(packed.data(), &packed_size, raw.data(), static_cast<uLong>(raw.size()), 1 + trial % 9), Z_OK);
    packed.resize(packed_size);
    bytes file = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    bytes header;
    put_be32(header, width);
    put_be32(header, height);
    header.insert(header.end(), {8, static_cast<std::uint8_t>(channels == 4 ? 6 : 2), 0, 0, 0});
    put_png_chunk(file, "IHDR", header);
    const std::size_t split = packed.size() / (1 + random() % 3);  // one or two IDATs
    put_png_chunk(file, "IDAT", bytes(packed.begin(), packed.begin() + static_cast<std::ptrdiff_t>(split)));
    if (split < packed.size()) put_png_chunk(file, "IDAT", bytes(packed.begin() + static_cast<std::ptrdiff_t>(split), packed.end()));
    put_png_chunk(file, "IEND", {});

    const std::string name = "trial " + std::to_string(trial);
    SCOPED_TRACE(name);
    const std::vector<packed_rgba> want = expect_libpngs_verdict(file, name);
    decoded_image fast;
    if (detail::decode_png_fast(file.data(), file.size(), name, 1ull << 30, fast)) {
      ++taken;
      EXPECT_FALSE(want.empty()) << "the fast path took a file libpng refuses";
      EXPECT_EQ(fast.pixels, want);
    } else {
      ++declined;
    }
  }
  // Both kinds occurred, so both paths were compared.
  EXPECT_GT(taken, 100);
  EXPECT_GT(declined, 20);
}

}  // namespace
}  // namespace kmq::io
