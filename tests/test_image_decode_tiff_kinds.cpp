// image_decoder on TIFFs libtiff writes, of the kinds without alpha that go
// through libtiff's RGBA interface (grey and palettes at every depth, 16-bit
// RGB, the Orientation tag), an 8-bit palette with alpha, and the files that
// must be refused: corrupt compressed data (OpenCV, which read these before,
// gave black pixels and no error) and floating-point samples. Each expected
// pixel is computed here from the samples written.
#include <gtest/gtest.h>
#include <tiffio.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "kmq/error.hpp"
#include "kmq/io/image_decoder.hpp"

namespace kmq::io {
namespace {

using bytes = std::vector<std::uint8_t>;

struct tiff_spec {
  std::uint32_t width = 7, height = 5;
  std::uint16_t bits = 8, samples = 1, photometric = PHOTOMETRIC_MINISBLACK;
  std::uint16_t compression = COMPRESSION_NONE, sample_format = SAMPLEFORMAT_UINT, orientation = 0;
  std::vector<std::uint16_t> extra;    // ExtraSamples
  std::vector<std::uint16_t> colormap;  // red, green, blue: 3 << bits entries
};

// Writes the image with libtiff; sample(x, y, s) gives each sample's value.
bytes write_tiff(const tiff_spec& s, const std::function<std::uint32_t(std::uint32_t, std::uint32_t, std::uint16_t)>& sample) {
  // One file per test and process: ctest runs the tests side by side.
  const std::string path = ::testing::TempDir() + "kmq_tiff_kinds_" +
                           ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
                           std::to_string(::getpid()) + ".tif";
  TIFF* tif = TIFFOpen(path.c_str(), "w");
  EXPECT_NE(tif, nullptr);
  if (tif == nullptr) return {};
  TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, s.width);
  TIFFSetField(tif, TIFFTAG_IMAGELENGTH, s.height);
  TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, s.bits);
  TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, s.samples);
  TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, s.photometric);
  TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
  TIFFSetField(tif, TIFFTAG_COMPRESSION, s.compression);
  TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT, s.sample_format);
  TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, s.height);
  if (s.orientation != 0) TIFFSetField(tif, TIFFTAG_ORIENTATION, s.orientation);
  if (!s.extra.empty()) TIFFSetField(tif, TIFFTAG_EXTRASAMPLES, static_cast<std::uint16_t>(s.extra.size()), s.extra.data());
  if (!s.colormap.empty()) {
    const std::size_t n = std::size_t{1} << s.bits;
    TIFFSetField(tif, TIFFTAG_COLORMAP, s.colormap.data(), s.colormap.data() + n, s.colormap.data() + 2 * n);
  }
  const std::size_t row_bits = std::size_t{s.width} * s.samples * s.bits;
  std::vector<std::uint8_t> row((row_bits + 7) / 8);
  for (std::uint32_t y = 0; y < s.height; ++y) {
    std::fill(row.begin(), row.end(), 0);
    std::size_t bit = 0;
    for (std::uint32_t x = 0; x < s.width; ++x) {
      for (std::uint16_t c = 0; c < s.samples; ++c, bit += s.bits) {
        const std::uint32_t v = sample(x, y, c);
        if (s.bits == 16) {
          const std::uint16_t v16 = static_cast<std::uint16_t>(v);
          std::memcpy(&row[bit / 8], &v16, 2);  // the file's byte order is the machine's
        } else if (s.bits == 32) {
          std::memcpy(&row[bit / 8], &v, 4);
        } else {
          for (int b = 0; b < s.bits; ++b)
            if ((v >> (s.bits - 1 - b)) & 1u) row[(bit + b) / 8] |= static_cast<std::uint8_t>(0x80u >> ((bit + b) % 8));
        }
      }
    }
    EXPECT_EQ(TIFFWriteScanline(tif, row.data(), y, 0), 1);
  }
  TIFFClose(tif);
  std::ifstream in(path, std::ios::binary);
  bytes file(std::istreambuf_iterator<char>(in), {});
  std::remove(path.c_str());
  return file;
}

decoded_image decode(const bytes& file) { return image_decoder().decode_bytes(file, "kinds.tif"); }

std::uint32_t pattern(std::uint32_t x, std::uint32_t y, std::uint32_t levels) { return (x * 3 + y * 5) % levels; }

TEST(TiffKinds, GreyAtEveryDepthBothWays) {
  for (const std::uint16_t bits : {1, 2, 4, 8, 16}) {
    for (const std::uint16_t photometric : {PHOTOMETRIC_MINISBLACK, PHOTOMETRIC_MINISWHITE}) {
      SCOPED_TRACE(std::to_string(bits) + " bits, photometric " + std::to_string(photometric));
      tiff_spec s;
      s.bits = bits;
      s.photometric = photometric;
      const std::uint32_t levels = bits == 16 ? 65536 : 1u << bits;
      const auto value = [&](std::uint32_t x, std::uint32_t y) { return bits == 16 ? pattern(x, y, 13) * 5000 : pattern(x, y, levels); };
      const decoded_image image = decode(write_tiff(s, [&](std::uint32_t x, std::uint32_t y, std::uint16_t) { return value(x, y); }));
      ASSERT_EQ(image.pixels.size(), std::size_t{s.width} * s.height);
      EXPECT_FALSE(image.has_alpha);
      for (std::uint32_t y = 0; y < s.height; ++y) {
        for (std::uint32_t x = 0; x < s.width; ++x) {
          std::uint32_t grey = bits == 16 ? (value(x, y) * 255 + 32767) / 65535 : value(x, y) * 255 / (levels - 1);
          if (photometric == PHOTOMETRIC_MINISWHITE) grey = 255 - grey;
          ASSERT_EQ(image.pixels[y * s.width + x], pack_rgba(grey, grey, grey, 255)) << x << "," << y;
        }
      }
    }
  }
}

std::vector<std::uint16_t> colormap_of(std::uint16_t bits) {
  const std::size_t n = std::size_t{1} << bits;
  std::vector<std::uint16_t> map(3 * n);
  for (std::size_t i = 0; i < n; ++i) {
    map[i] = static_cast<std::uint16_t>(((i * 37 + 11) % 256) * 257);
    map[n + i] = static_cast<std::uint16_t>(((i * 91 + 3) % 256) * 257);
    map[2 * n + i] = static_cast<std::uint16_t>(((i * 53 + 200) % 256) * 257);
  }
  return map;
}

packed_rgba entry(const std::vector<std::uint16_t>& map, std::uint16_t bits, std::uint32_t index, std::uint32_t alpha) {
  const std::size_t n = std::size_t{1} << bits;
  return pack_rgba(map[index] >> 8, map[n + index] >> 8, map[2 * n + index] >> 8, alpha);
}

TEST(TiffKinds, PalettesAtEveryDepth) {
  for (const std::uint16_t bits : {1, 2, 4, 8}) {
    SCOPED_TRACE(std::to_string(bits) + " bits");
    tiff_spec s;
    s.bits = bits;
    s.photometric = PHOTOMETRIC_PALETTE;
    s.colormap = colormap_of(bits);
    s.compression = COMPRESSION_LZW;
    const decoded_image image = decode(write_tiff(s, [&](std::uint32_t x, std::uint32_t y, std::uint16_t) { return pattern(x, y, 1u << bits); }));
    ASSERT_EQ(image.pixels.size(), std::size_t{s.width} * s.height);
    for (std::uint32_t y = 0; y < s.height; ++y)
      for (std::uint32_t x = 0; x < s.width; ++x)
        ASSERT_EQ(image.pixels[y * s.width + x], entry(s.colormap, bits, pattern(x, y, 1u << bits), 255)) << x << "," << y;
  }
}

TEST(TiffKinds, AnEightBitPaletteKeepsItsAlpha) {
  tiff_spec s;
  s.photometric = PHOTOMETRIC_PALETTE;
  s.samples = 2;
  s.extra = {EXTRASAMPLE_UNASSALPHA};
  s.colormap = colormap_of(8);
  const auto alpha = [](std::uint32_t x, std::uint32_t y) { return (x * 40 + y * 7) % 256; };
  const decoded_image image = decode(write_tiff(s, [&](std::uint32_t x, std::uint32_t y, std::uint16_t c) {
    return c == 0 ? pattern(x, y, 256) : alpha(x, y);
  }));
  EXPECT_TRUE(image.has_alpha);
  for (std::uint32_t y = 0; y < s.height; ++y)
    for (std::uint32_t x = 0; x < s.width; ++x)
      ASSERT_EQ(image.pixels[y * s.width + x], entry(s.colormap, 8, pattern(x, y, 256), alpha(x, y))) << x << "," << y;
}

TEST(TiffKinds, SixteenBitRgbIsRoundedAndTheOrientationApplied) {
  const std::vector<std::uint32_t> values = {0, 128, 129, 32767, 32768, 65406, 65407};
  tiff_spec s;
  s.width = static_cast<std::uint32_t>(values.size());
  s.height = 2;
  s.bits = 16;
  s.samples = 3;
  s.photometric = PHOTOMETRIC_RGB;
  s.orientation = ORIENTATION_RIGHTTOP;  // 6: turned a quarter clockwise to be shown
  const decoded_image image = decode(write_tiff(s, [&](std::uint32_t x, std::uint32_t y, std::uint16_t c) {
    return y == 0 && c == 0 ? values[x] : 0u;
  }));
  ASSERT_EQ(image.width, 2u);
  ASSERT_EQ(image.height, s.width);
  const std::vector<std::uint32_t> want = {0, 0, 1, 127, 128, 254, 255};
  // Stored row 0 becomes the right-hand column, top to bottom.
  for (std::uint32_t i = 0; i < values.size(); ++i)
    EXPECT_EQ(image.pixels[i * 2 + 1], pack_rgba(want[i], 0, 0, 255)) << values[i];
}

TEST(TiffKinds, CorruptCompressedDataIsRefusedNotBlack) {
  for (const std::uint16_t compression : {COMPRESSION_LZW, COMPRESSION_ADOBE_DEFLATE}) {
    tiff_spec s;
    s.width = 29;
    s.height = 17;
    s.samples = 3;
    s.photometric = PHOTOMETRIC_RGB;
    s.compression = compression;
    bytes file = write_tiff(s, [](std::uint32_t x, std::uint32_t y, std::uint16_t c) { return (x * 7 + y * 13 + c * 101) % 256; });
    // libtiff writes the strip right after the 8-byte header, the directory after it.
    for (std::size_t i = 8; i < 8 + 100 && i < file.size(); ++i) file[i] = 0xab;
    try {
      decode(file);
      ADD_FAILURE() << "compression " << compression << ": decoded";
    } catch (const error& e) {
      EXPECT_EQ(e.kind(), error_kind::bad_input);
      EXPECT_NE(std::string(e.what()).find("cannot decode TIFF (libtiff: "), std::string::npos) << e.what();
    }
  }
}

TEST(TiffKinds, FloatingPointSamplesAreRefusedWithTheReason) {
  tiff_spec s;
  s.bits = 32;
  s.sample_format = SAMPLEFORMAT_IEEEFP;
  const float half = 0.5f;
  std::uint32_t bits_of_half = 0;
  std::memcpy(&bits_of_half, &half, 4);
  try {
    decode(write_tiff(s, [&](std::uint32_t, std::uint32_t, std::uint16_t) { return bits_of_half; }));
    ADD_FAILURE() << "decoded";
  } catch (const error& e) {
    EXPECT_EQ(e.kind(), error_kind::bad_input);
    EXPECT_NE(std::string(e.what()).find("unsupported TIFF (libtiff: "), std::string::npos) << e.what();
    EXPECT_NE(e.describe().find("kinds.tif: unsupported"), std::string::npos) << e.describe();
  }
}

}  // namespace
}  // namespace kmq::io
