// encode_palette_png: what a decoder reads back, and the exact chunk layout.
#include <gtest/gtest.h>
#include <png.h>

#include <algorithm>
#include <csetjmp>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "kmq/io/image_decoder.hpp"
#include "kmq/io/png_encoder.hpp"
#include "kmq/error.hpp"

namespace kmq::io {
namespace {

struct png_chunk {
  std::string type;
  std::vector<std::uint8_t> data;
};

std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

// A libpng read struct over bytes in memory; errors longjmp with the message kept.
struct png_image_reader {
  explicit png_image_reader(const std::vector<std::uint8_t>& bytes) : data(bytes) {
    png = png_create_read_struct(PNG_LIBPNG_VER_STRING, this, on_error, on_warning);
    info = png_create_info_struct(png);
    png_set_read_fn(png, this, on_read);
  }
  ~png_image_reader() { png_destroy_read_struct(&png, &info, nullptr); }
  png_image_reader(const png_image_reader&) = delete;
  png_image_reader& operator=(const png_image_reader&) = delete;

  static void on_error(png_structp p, png_const_charp text) {
    static_cast<png_image_reader*>(png_get_error_ptr(p))->message = text;
    png_longjmp(p, 1);
  }
  static void on_warning(png_structp, png_const_charp) {}
  static void on_read(png_structp p, png_bytep out, png_size_t length) {
    auto* self = static_cast<png_image_reader*>(png_get_io_ptr(p));
    if (self->position + length > self->data.size()) png_error(p, "read past the end");
    std::copy_n(self->data.begin() + static_cast<std::ptrdiff_t>(self->position), length, out);
    self->position += length;
  }

  const std::vector<std::uint8_t>& data;
  std::size_t position = 0;
  std::string message;
  png_structp png = nullptr;
  png_infop info = nullptr;
};

// The chunks in file order; fails the test on a malformed layout.
std::vector<png_chunk> chunks_of(const std::vector<std::uint8_t>& png) {
  std::vector<png_chunk> chunks;
  const std::uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  EXPECT_GE(png.size(), 8u);
  if (png.size() < 8 || !std::equal(signature, signature + 8, png.begin())) {
    ADD_FAILURE() << "no PNG signature";
    return chunks;
  }
  std::size_t pos = 8;
  while (pos + 12 <= png.size()) {
    const std::uint32_t length = be32(&png[pos]);
    if (pos + 12 + length > png.size()) break;
    png_chunk chunk;
    chunk.type.assign(png.begin() + static_cast<std::ptrdiff_t>(pos + 4),
                      png.begin() + static_cast<std::ptrdiff_t>(pos + 8));
    chunk.data.assign(png.begin() + static_cast<std::ptrdiff_t>(pos + 8),
                      png.begin() + static_cast<std::ptrdiff_t>(pos + 8 + length));
    chunks.push_back(std::move(chunk));
    pos += 12 + length;
  }
  EXPECT_EQ(pos, png.size()) << "bytes after the last whole chunk";
  return chunks;
}

const png_chunk* find_chunk(const std::vector<png_chunk>& chunks, const std::string& type) {
  for (const png_chunk& c : chunks)
    if (c.type == type) return &c;
  return nullptr;
}

// Distinct colours, spread so none collide for up to 256 entries.
std::vector<packed_rgba> opaque_palette(int k) {
  std::vector<packed_rgba> palette;
  for (int i = 0; i < k; ++i)
    palette.push_back(pack_rgba(static_cast<std::uint32_t>(i), static_cast<std::uint32_t>((i * 37) & 255),
                                static_cast<std::uint32_t>(255 - i), 255));
  return palette;
}

std::vector<std::uint8_t> pattern(std::uint32_t width, std::uint32_t height, int k) {
  std::vector<std::uint8_t> indices(std::size_t{width} * height);
  for (std::size_t i = 0; i < indices.size(); ++i)
    indices[i] = static_cast<std::uint8_t>((i * 7 + i / width) % static_cast<std::size_t>(k));
  return indices;
}

// Every pixel decodes to its palette entry; alpha is checked when the decoder
// gives four channels, and must be 255 when it gives three.
void expect_decodes_to(const std::vector<std::uint8_t>& png, const std::vector<packed_rgba>& palette,
                       const std::vector<std::uint8_t>& indices, std::uint32_t width, std::uint32_t height) {
  const cv::Mat mat = cv::imdecode(png, cv::IMREAD_UNCHANGED);
  ASSERT_FALSE(mat.empty());
  ASSERT_EQ(mat.cols, static_cast<int>(width));
  ASSERT_EQ(mat.rows, static_cast<int>(height));
  ASSERT_EQ(mat.depth(), CV_8U);
  ASSERT_TRUE(mat.channels() == 3 || mat.channels() == 4);
  for (std::uint32_t y = 0; y < height; ++y) {
    for (std::uint32_t x = 0; x < width; ++x) {
      const packed_rgba want = palette[indices[std::size_t{y} * width + x]];
      const std::uint8_t* p = mat.ptr<std::uint8_t>(static_cast<int>(y)) + std::size_t{x} * mat.channels();
      const packed_rgba got = pack_rgba(p[2], p[1], p[0], mat.channels() == 4 ? p[3] : 255);
      ASSERT_EQ(got, want) << "pixel " << x << "," << y;
    }
  }
}

class PaletteSizes : public ::testing::TestWithParam<int> {};

TEST_P(PaletteSizes, RoundTripsWithTheSmallestBitDepth) {
  const int k = GetParam();
  const std::uint32_t width = 37, height = 11;  // odd width: packed rows end mid-byte
  const auto palette = opaque_palette(k);
  const auto indices = pattern(width, height, k);
  const auto png = encode_palette_png(palette, indices, width, height, default_png_level);
  expect_decodes_to(png, palette, indices, width, height);

  const auto chunks = chunks_of(png);
  ASSERT_GE(chunks.size(), 4u);
  ASSERT_EQ(chunks.front().type, "IHDR");
  const auto& ihdr = chunks.front().data;
  ASSERT_EQ(ihdr.size(), 13u);
  EXPECT_EQ(be32(&ihdr[0]), width);
  EXPECT_EQ(be32(&ihdr[4]), height);
  const int want_depth = k <= 2 ? 1 : k <= 4 ? 2 : k <= 16 ? 4 : 8;
  EXPECT_EQ(ihdr[8], want_depth);
  EXPECT_EQ(ihdr[9], 3) << "colour type: palette";
  EXPECT_EQ(ihdr[12], 0) << "not interlaced";
  const png_chunk* plte = find_chunk(chunks, "PLTE");
  ASSERT_NE(plte, nullptr);
  EXPECT_EQ(plte->data.size(), static_cast<std::size_t>(3 * k));
  EXPECT_EQ(find_chunk(chunks, "tRNS"), nullptr) << "an opaque palette needs no tRNS";
  EXPECT_EQ(find_chunk(chunks, "tIME"), nullptr);
  EXPECT_EQ(chunks.back().type, "IEND");
}

INSTANTIATE_TEST_SUITE_P(PngWriter, PaletteSizes, ::testing::Values(1, 2, 3, 4, 5, 16, 17, 256));

TEST(PngWriter, PlteHoldsThePaletteInOrder) {
  const std::vector<packed_rgba> palette = {pack_rgba(1, 2, 3, 255), pack_rgba(250, 128, 0, 255),
                                            pack_rgba(9, 8, 7, 255)};
  const auto png = encode_palette_png(palette, {0, 1, 2, 1}, 2, 2, 6);
  const auto chunks = chunks_of(png);
  const png_chunk* plte = find_chunk(chunks, "PLTE");
  ASSERT_NE(plte, nullptr);
  EXPECT_EQ(plte->data, (std::vector<std::uint8_t>{1, 2, 3, 250, 128, 0, 9, 8, 7}));
}

TEST(PngWriter, TrnsStopsAtTheLastTranslucentEntry) {
  const std::vector<packed_rgba> palette = {pack_rgba(10, 20, 30, 0), pack_rgba(40, 50, 60, 255),
                                            pack_rgba(70, 80, 90, 128), pack_rgba(100, 110, 120, 255),
                                            pack_rgba(130, 140, 150, 255)};
  const std::uint32_t width = 5, height = 3;
  const auto indices = pattern(width, height, 5);
  const auto png = encode_palette_png(palette, indices, width, height, 6);
  const auto chunks = chunks_of(png);
  const png_chunk* trns = find_chunk(chunks, "tRNS");
  ASSERT_NE(trns, nullptr);
  EXPECT_EQ(trns->data, (std::vector<std::uint8_t>{0, 255, 128}));
  expect_decodes_to(png, palette, indices, width, height);
  EXPECT_EQ(cv::imdecode(png, cv::IMREAD_UNCHANGED).channels(), 4);
}

TEST(PngWriter, TrnsCoversATranslucentLastEntry) {
  const std::vector<packed_rgba> palette = {pack_rgba(1, 1, 1, 255), pack_rgba(2, 2, 2, 255), pack_rgba(3, 3, 3, 254)};
  const auto chunks = chunks_of(encode_palette_png(palette, {0, 1, 2}, 3, 1, 6));
  const png_chunk* trns = find_chunk(chunks, "tRNS");
  ASSERT_NE(trns, nullptr);
  EXPECT_EQ(trns->data, (std::vector<std::uint8_t>{255, 255, 254}));
}

TEST(PngWriter, SameInputGivesTheSameBytes) {
  const auto palette = opaque_palette(17);
  const auto indices = pattern(64, 48, 17);
  const auto first = encode_palette_png(palette, indices, 64, 48, 9);
  const auto second = encode_palette_png(palette, indices, 64, 48, 9);
  EXPECT_EQ(first, second);
}

TEST(PngWriter, EveryDeflateLevelDecodes) {
  const auto palette = opaque_palette(16);
  const auto indices = pattern(50, 20, 16);
  for (int level = 0; level <= max_png_level; ++level) {
    SCOPED_TRACE(level);
    expect_decodes_to(encode_palette_png(palette, indices, 50, 20, level), palette, indices, 50, 20);
  }
}

// At the default level, rows that compress to under 1/25 of their bytes get
// the tighter level too, and the smaller stream is kept; rows that do not
// (noise, like a photo's indices) keep the default level's bytes exactly.
TEST(PngWriter, HighlyCompressibleRowsGetTheTighterLevelAtTheDefault) {
  const auto palette = opaque_palette(256);
  const std::uint32_t width = 800, height = 600;
  std::vector<std::uint8_t> chart(std::size_t{width} * height), noise(chart.size());
  std::uint32_t state = 12345;
  for (std::uint32_t y = 0; y < height; ++y) {
    for (std::uint32_t x = 0; x < width; ++x) {
      // Bands, ticks and a slowly changing ramp: what a chart or screenshot holds.
      chart[std::size_t{y} * width + x] = static_cast<std::uint8_t>(y % 40 < 2 ? 0 : (x / 3 + y / 7) % 16 == 0 ? 1 : 2 + (x * 7 + y) / 600 % 200);
      state = state * 1664525u + 1013904223u;
      noise[std::size_t{y} * width + x] = static_cast<std::uint8_t>(state >> 24);
    }
  }
  const auto at_default = encode_palette_png(palette, chart, width, height, default_png_level);
  const auto at_tighter = encode_palette_png(palette, chart, width, height, tighter_png_level);
  const auto at_7 = encode_palette_png(palette, chart, width, height, 7);
  expect_decodes_to(at_default, palette, chart, width, height);
  ASSERT_LT(at_7.size() * highly_compressible_ratio, chart.size()) << "the chart should be highly compressible";
  const auto at_greedy = encode_palette_png(palette, chart, width, height, greedy_png_level);
  EXPECT_LE(at_default.size(), at_tighter.size());
  EXPECT_LE(at_default.size(), at_greedy.size());
  EXPECT_TRUE(at_default == at_tighter || at_default == at_greedy) << "the smaller of the levels tried";
  EXPECT_LT(at_default.size(), at_7.size()) << "level 9 should beat 6 and 7 on such rows";
  // Noise: the default level's own bytes (the same as asking for level 6 without the second pass).
  const auto noise_default = encode_palette_png(palette, noise, width, height, default_png_level);
  expect_decodes_to(noise_default, palette, noise, width, height);
  EXPECT_GT(noise_default.size() * highly_compressible_ratio, noise.size());
}

// Rows of repeated runs (pixel art scaled up 6x by nearest neighbour), which
// compress to under 1/6: the greedy level's stream is kept where it is the
// smaller, as here, where the lazy parser of levels 6-9 misses the row above.
TEST(PngWriter, RowsOfRepeatedRunsGetTheGreedyLevelAtTheDefault) {
  const auto palette = opaque_palette(256);
  const std::uint32_t cells = 250, scale = 6, side = cells * scale;
  std::vector<std::uint8_t> art(std::size_t{side} * side);
  std::uint32_t state = 4;
  std::vector<std::uint8_t> cell(std::size_t{cells} * cells);
  for (auto& c : cell) {
    state = state * 1664525u + 1013904223u;
    c = static_cast<std::uint8_t>((state >> 24) % 200);
  }
  for (std::uint32_t y = 0; y < side; ++y)
    for (std::uint32_t x = 0; x < side; ++x) art[std::size_t{y} * side + x] = cell[std::size_t{y / scale} * cells + x / scale];
  const auto at_default = encode_palette_png(palette, art, side, side, default_png_level);
  const auto at_greedy = encode_palette_png(palette, art, side, side, greedy_png_level);
  const auto at_7 = encode_palette_png(palette, art, side, side, 7);
  expect_decodes_to(at_default, palette, art, side, side);
  ASSERT_LT(at_7.size() * compressible_ratio, art.size()) << "the art should be compressible";
  EXPECT_EQ(at_default, at_greedy);
  EXPECT_LT(at_default.size() * 10, at_7.size() * 9) << "the greedy parser should beat the lazy one by 10 % here";
}

TEST(PngWriter, OnePixelAndATallStrip) {
  const std::vector<packed_rgba> one = {pack_rgba(200, 100, 50, 255)};
  expect_decodes_to(encode_palette_png(one, {0}, 1, 1, 6), one, {0}, 1, 1);
  const auto palette = opaque_palette(4);
  const auto strip = pattern(1, 5000, 4);
  expect_decodes_to(encode_palette_png(palette, strip, 1, 5000, 6), palette, strip, 1, 5000);
}

// The file read back by libpng itself, with its row limit raised (OpenCV's
// PNG reader keeps libpng's default limit of 1,000,000 pixels a row, so
// cv::imdecode cannot read these). Returns the palette and one index a pixel,
// as stored: colour type 3, expanded to 8 bits a pixel.
struct libpng_reading {
  std::uint32_t width = 0, height = 0;
  int color_type = -1, bit_depth = 0;
  std::vector<packed_rgba> palette;
  std::vector<std::uint8_t> indices;
};

libpng_reading read_with_libpng(const std::vector<std::uint8_t>& png) {
  libpng_reading out;
  png_image_reader reader(png);
  png_structp p = reader.png;
  png_infop info = reader.info;
  if (setjmp(png_jmpbuf(p))) {
    ADD_FAILURE() << "libpng: " << reader.message;
    return libpng_reading{};
  }
  png_set_user_limits(p, 0x7fffffffu, 0x7fffffffu);
  png_read_info(p, info);
  out.width = png_get_image_width(p, info);
  out.height = png_get_image_height(p, info);
  out.color_type = png_get_color_type(p, info);
  out.bit_depth = png_get_bit_depth(p, info);
  png_colorp plte = nullptr;
  int entries = 0;
  png_get_PLTE(p, info, &plte, &entries);
  png_bytep trns = nullptr;
  int alphas = 0;
  png_get_tRNS(p, info, &trns, &alphas, nullptr);
  for (int i = 0; i < entries; ++i)
    out.palette.push_back(pack_rgba(plte[i].red, plte[i].green, plte[i].blue, i < alphas ? trns[i] : 255));
  png_set_packing(p);  // 1, 2, 4 bits a pixel to one byte each
  png_read_update_info(p, info);
  out.indices.resize(std::size_t{out.width} * out.height);
  for (std::uint32_t y = 0; y < out.height; ++y) png_read_row(p, &out.indices[std::size_t{y} * out.width], nullptr);
  png_read_end(p, nullptr);
  return out;
}

// libpng refuses rows over 1,000,000 pixels unless its user limit is raised.
TEST(PngWriter, RowsWiderThanLibpngsDefaultLimit) {
  const std::uint32_t width = 1'000'001;
  const auto palette = opaque_palette(3);
  std::vector<std::uint8_t> indices(width, 1);
  for (std::uint32_t x = 0; x < width; x += 997) indices[x] = static_cast<std::uint8_t>(x % 3);
  indices.back() = 2;  // the pixel past the default limit
  const auto png = encode_palette_png(palette, indices, width, 1, 1);
  const auto chunks = chunks_of(png);
  ASSERT_FALSE(chunks.empty());
  EXPECT_EQ(be32(&chunks.front().data[0]), width);
  // Decoded, it is the same picture: size, palette and every index.
  const libpng_reading back = read_with_libpng(png);
  EXPECT_EQ(back.width, width);
  EXPECT_EQ(back.height, 1u);
  EXPECT_EQ(back.color_type, PNG_COLOR_TYPE_PALETTE);
  EXPECT_EQ(back.bit_depth, 2);
  EXPECT_EQ(back.palette, palette);
  EXPECT_TRUE(back.indices == indices) << "the decoded indices differ";
}

// Pixel data over 1 MiB compressed goes into several IDATs: libpng reads them
// back (it checks every chunk's CRC and the zlib stream's Adler-32) to the very
// palette and indices at every bit depth and at the levels that differ most.
TEST(PngWriter, LibpngReadsBackEveryIndexAcrossSeveralIdats) {
  const std::uint32_t width = 1531, height = 1203;  // odd: packed rows end mid-byte
  for (const int k : {2, 4, 16, 256}) {
    const auto palette = opaque_palette(k);
    const auto indices = pattern(width, height, k);
    for (const int level : {0, 1, 6, 12}) {
      SCOPED_TRACE(::testing::Message() << "k " << k << ", level " << level);
      const auto png = encode_palette_png(palette, indices, width, height, level);
      const libpng_reading back = read_with_libpng(png);
      EXPECT_EQ(back.palette, palette);
      EXPECT_TRUE(back.indices == indices) << "the decoded indices differ";
      const auto chunks = chunks_of(png);
      const auto idats = std::count_if(chunks.begin(), chunks.end(), [](const png_chunk& c) { return c.type == "IDAT"; });
      if (k == 256 && level == 0) EXPECT_GE(idats, 2) << "1.8 MB stored needs two IDATs of 1 MiB";
      ASSERT_EQ(chunks.back().type, "IEND");
      EXPECT_TRUE(chunks.back().data.empty());
    }
  }
}

// A wrong Adler-32 (the zlib stream's last 4 bytes) or a wrong chunk CRC is
// refused by libpng: the test above would see a bad stream.
TEST(PngWriter, LibpngRefusesACorruptedStreamSoTheCheckMeansSomething) {
  const auto palette = opaque_palette(16);
  const auto indices = pattern(64, 64, 16);
  const auto good = encode_palette_png(palette, indices, 64, 64, 6);
  ASSERT_EQ(read_with_libpng(good).indices, indices);
  // IEND is the last 12 bytes; before it the IDAT's CRC (4), before that the Adler-32's last byte.
  for (const std::size_t from_end : {std::size_t{12 + 4 + 1}, std::size_t{12 + 1}}) {
    auto bad = good;
    bad[bad.size() - from_end] ^= 0x01;
    png_image_reader reader(bad);
    volatile bool failed = false;  // set after setjmp, read after a longjmp
    if (setjmp(png_jmpbuf(reader.png))) {
      failed = true;
    } else {
      png_read_info(reader.png, reader.info);
      png_set_packing(reader.png);
      png_read_update_info(reader.png, reader.info);
      std::uint8_t row[64];  // nothing with a destructor between setjmp and a longjmp
      for (int y = 0; y < 64; ++y) png_read_row(reader.png, row, nullptr);
      png_read_end(reader.png, nullptr);
    }
    EXPECT_TRUE(failed) << "byte " << from_end << " from the end flipped, yet libpng read it";
  }
}

// kmq reads back what it writes past libpng's default limit of 1,000,000
// pixels a row or a column (a 1,000,001x1 PNG is 2^20 pixels, well within
// --max-pixels): its decoder lifts that limit as the encoder does.
TEST(PngWriter, KmqReadsBackRowsAndColumnsWiderThanLibpngsDefaultLimit) {
  const auto palette = opaque_palette(2);
  for (const auto& [width, height] : {std::pair<std::uint32_t, std::uint32_t>{1'000'001, 1}, {1, 1'000'001}}) {
    const std::vector<std::uint8_t> indices(std::size_t{width} * height, 1);
    const auto png = encode_palette_png(palette, indices, width, height, 1);
    const decoded_image back = image_decoder().decode_bytes(png, "wide.png");
    EXPECT_EQ(back.width, width);
    EXPECT_EQ(back.height, height);
    EXPECT_TRUE(std::all_of(back.pixels.begin(), back.pixels.end(), [&](packed_rgba p) { return p == palette[1]; }));
  }
}

TEST(PngWriter, RefusesBadArguments) {
  const auto palette = opaque_palette(3);
  EXPECT_THROW(encode_palette_png({}, {0}, 1, 1, 6), kmq::error);
  EXPECT_THROW(encode_palette_png(std::vector<packed_rgba>(257, 0), {0}, 1, 1, 6), kmq::error);
  EXPECT_THROW(encode_palette_png(palette, {0, 1, 3, 2}, 2, 2, 6), kmq::error);  // index 3 of 3
  EXPECT_THROW(encode_palette_png(palette, {0, 1, 2}, 2, 2, 6), kmq::error);     // 3 indices for 4
  EXPECT_THROW(encode_palette_png(palette, {0, 1, 2, 0, 1}, 2, 2, 6), kmq::error);
  EXPECT_THROW(encode_palette_png(palette, {}, 0, 0, 6), kmq::error);
  EXPECT_THROW(encode_palette_png(palette, {0}, 1, 1, -1), kmq::error);
  EXPECT_THROW(encode_palette_png(palette, {0}, 1, 1, 13), kmq::error);
  EXPECT_NO_THROW(encode_palette_png(std::vector<packed_rgba>(256, 0), {255}, 1, 1, 6));
}

// The overload with metadata, given none, is the very same encoder.
TEST(PngWriter, EmptyMetadataGivesTheSameBytes) {
  const std::vector<packed_rgba> translucent = {pack_rgba(255, 0, 0, 255), pack_rgba(0, 255, 0, 128),
                                                pack_rgba(0, 0, 255, 0)};
  for (const int k : {1, 3, 17, 256}) {
    for (const int level : {0, 6, 9}) {
      SCOPED_TRACE(::testing::Message() << "k " << k << ", level " << level);
      const auto palette = k == 3 ? translucent : opaque_palette(k);
      const auto indices = pattern(37, 11, k);
      EXPECT_EQ(encode_palette_png(palette, indices, 37, 11, level, png_metadata{}),
                encode_palette_png(palette, indices, 37, 11, level));
    }
  }
  EXPECT_THROW(encode_palette_png({}, {0}, 1, 1, 6, png_metadata{}), kmq::error);
}

TEST(PngWriter, BadIndexMessageNamesThePixel) {
  try {
    encode_palette_png(opaque_palette(2), {0, 1, 0, 5}, 4, 1, 6);
    FAIL() << "no exception";
  } catch (const error& e) {
    EXPECT_NE(std::string(e.what()).find("index 5 at pixel 3"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace kmq::io
