// image_decoder on TIFFs with alpha crafted byte by byte: layouts, associated alpha, orientation, damage.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "image_decode_test_support.hpp"

namespace kmq::io {
namespace {

namespace fs = std::filesystem;
using namespace kmq::io::testing;

// --- TIFF crafted byte by byte (layouts Pillow and OpenCV do not write) ----

struct tiff_picture {
  std::uint32_t width = 0, height = 0;
  std::uint16_t bits = 8;
  std::uint16_t photometric = 2;           // 2: RGB, 1: minimum is black
  std::vector<std::uint16_t> extra = {2};  // ExtraSamples (2 unassociated, 1 associated); empty: no tag
  bool planar = false;
  std::uint32_t rows_per_strip = 1;  // strips of this many rows ...
  std::uint32_t tile = 0;            // ... or tile x tile tiles when not 0
  std::uint16_t orientation = 0;     // 0: no tag
  std::vector<std::vector<std::uint16_t>> samples;  // a pixel's samples, row-major

  std::uint16_t samples_per_pixel() const {
    return static_cast<std::uint16_t>((photometric == 2 ? 3 : 1) + extra.size());
  }
};

void put_le(bytes& out, std::uint32_t v, int size) {
  for (int i = 0; i < size; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

// Little-endian, uncompressed, one IFD after the image data.
bytes tiff_of(const tiff_picture& t) {
  bytes out = {'I', 'I', 42, 0, 0, 0, 0, 0};
  const std::uint16_t spp = t.samples_per_pixel();
  const std::uint32_t bw = t.tile ? t.tile : t.width, bh = t.tile ? t.tile : t.rows_per_strip;
  const std::uint32_t across = (t.width + bw - 1) / bw, down = (t.height + bh - 1) / bh;
  std::vector<std::uint32_t> offsets, counts;
  for (std::uint16_t plane = 0; plane < (t.planar ? spp : 1); ++plane) {
    for (std::uint32_t by = 0; by < down; ++by) {
      for (std::uint32_t bx = 0; bx < across; ++bx) {
        offsets.push_back(static_cast<std::uint32_t>(out.size()));
        const std::uint32_t rows = t.tile ? bh : std::min(bh, t.height - by * bh);
        for (std::uint32_t y = 0; y < rows; ++y) {
          for (std::uint32_t x = 0; x < bw; ++x) {
            const std::uint32_t px = bx * bw + x, py = by * bh + y;
            for (std::uint16_t s = t.planar ? plane : 0; s < (t.planar ? plane + 1 : spp); ++s) {
              const std::uint32_t v = px < t.width && py < t.height ? t.samples.at(std::size_t{py} * t.width + px).at(s) : 0;
              put_le(out, v, t.bits / 8);
            }
          }
        }
        counts.push_back(static_cast<std::uint32_t>(out.size()) - offsets.back());
      }
    }
  }
  struct entry {
    std::uint16_t tag, type;  // 3 SHORT, 4 LONG
    std::vector<std::uint32_t> values;
  };
  std::vector<entry> entries = {{256, 4, {t.width}}, {257, 4, {t.height}},
                                {258, 3, std::vector<std::uint32_t>(spp, t.bits)}, {259, 3, {1}},
                                {262, 3, {t.photometric}}, {277, 3, {spp}}, {284, 3, {t.planar ? 2u : 1u}}};
  if (t.orientation) entries.push_back({274, 3, {t.orientation}});
  if (!t.extra.empty()) entries.push_back({338, 3, std::vector<std::uint32_t>(t.extra.begin(), t.extra.end())});
  if (t.tile) {
    entries.push_back({322, 4, {t.tile}});
    entries.push_back({323, 4, {t.tile}});
    entries.push_back({324, 4, offsets});
    entries.push_back({325, 4, counts});
  } else {
    entries.push_back({273, 4, offsets});
    entries.push_back({278, 4, {t.rows_per_strip}});
    entries.push_back({279, 4, counts});
  }
  std::sort(entries.begin(), entries.end(), [](const entry& a, const entry& b) { return a.tag < b.tag; });
  // Values over 4 bytes go before the IFD; the rest sit in the entry.
  std::vector<std::uint32_t> value_at(entries.size(), 0);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const int size = entries[i].type == 3 ? 2 : 4;
    if (entries[i].values.size() * size <= 4) continue;
    if (out.size() % 2) out.push_back(0);
    value_at[i] = static_cast<std::uint32_t>(out.size());
    for (const std::uint32_t v : entries[i].values) put_le(out, v, size);
  }
  if (out.size() % 2) out.push_back(0);
  const auto ifd = static_cast<std::uint32_t>(out.size());
  for (int i = 0; i < 4; ++i) out[4 + i] = static_cast<std::uint8_t>(ifd >> (8 * i));
  put_le(out, static_cast<std::uint32_t>(entries.size()), 2);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const entry& e = entries[i];
    const int size = e.type == 3 ? 2 : 4;
    put_le(out, e.tag, 2);
    put_le(out, e.type, 2);
    put_le(out, static_cast<std::uint32_t>(e.values.size()), 4);
    if (e.values.size() * size > 4) {
      put_le(out, value_at[i], 4);
    } else {
      for (const std::uint32_t v : e.values) put_le(out, v, size);
      for (std::size_t pad = e.values.size() * size; pad < 4; ++pad) out.push_back(0);
    }
  }
  put_le(out, 0, 4);  // no next IFD
  return out;
}

std::uint32_t eight_bits(std::uint32_t v, std::uint16_t bits) { return bits == 8 ? v : (v * 255 + 32767) / 65535; }

// Straight alpha, every sample as stored, 16 bits rounded to 8.
packed_rgba straight(const tiff_picture& t, const std::vector<std::uint16_t>& s) {
  const std::size_t colours = t.photometric == 2 ? 3 : 1;
  const std::uint32_t r = eight_bits(s[0], t.bits), a = eight_bits(s[colours], t.bits);
  return colours == 3 ? pack_rgba(r, eight_bits(s[1], t.bits), eight_bits(s[2], t.bits), a) : pack_rgba(r, r, r, a);
}

tiff_picture pattern_picture(std::uint32_t width, std::uint32_t height, std::uint16_t bits, std::uint16_t photometric) {
  tiff_picture t;
  t.width = width;
  t.height = height;
  t.bits = bits;
  t.photometric = photometric;
  const std::uint32_t max = bits == 8 ? 255 : 65535;
  for (std::uint32_t y = 0; y < height; ++y)
    for (std::uint32_t x = 0; x < width; ++x) {
      std::vector<std::uint16_t> s;
      for (std::uint16_t i = 0; i < t.samples_per_pixel(); ++i)
        s.push_back(static_cast<std::uint16_t>((x * 7919u + y * 104729u + i * 15485863u) % (max + 1)));
      t.samples.push_back(s);
    }
  return t;
}

TEST_F(ImageDecode, TiffAlphaInEveryLayoutIsReadAsStored) {
  for (const std::uint16_t bits : {8, 16}) {
    for (const std::uint16_t photometric : {2, 1}) {
      for (const bool planar : {false, true}) {
        for (const std::uint32_t tile : {0u, 16u}) {
          for (const std::uint32_t rows_per_strip : {1u, 7u, 100u}) {
            if (tile && rows_per_strip != 1) continue;
            tiff_picture t = pattern_picture(21, 18, bits, photometric);  // tiles overhang right and bottom
            t.planar = planar;
            t.tile = tile;
            t.rows_per_strip = rows_per_strip;
            SCOPED_TRACE(::testing::Message() << bits << " bits, photometric " << photometric
                                              << (planar ? ", planar" : ", contiguous") << ", tile " << tile
                                              << ", rows per strip " << rows_per_strip);
            const decoded_image image = decode_image(write("crafted.tif", tiff_of(t)), limit);
            ASSERT_EQ(image.width, t.width);
            ASSERT_EQ(image.height, t.height);
            EXPECT_TRUE(image.has_alpha);
            for (std::size_t i = 0; i < t.samples.size(); ++i)
              ASSERT_EQ(image.pixels[i], straight(t, t.samples[i])) << "pixel " << i;
          }
        }
      }
    }
  }
}

// libtiff reads one large uncompressed strip as several smaller ones.
TEST_F(ImageDecode, TiffWithAlphaInOneLargeStrip) {
  for (const bool planar : {false, true}) {
    tiff_picture t = pattern_picture(200, 50, 16, 2);
    t.rows_per_strip = 50;
    t.planar = planar;
    const decoded_image image = decode_image(write("one-strip.tif", tiff_of(t)), limit);
    ASSERT_EQ(image.pixels.size(), t.samples.size());
    for (std::size_t i = 0; i < t.samples.size(); ++i) ASSERT_EQ(image.pixels[i], straight(t, t.samples[i])) << i;
  }
}

// Associated alpha (ExtraSamples 1): colour premultiplied by alpha. We give
// straight alpha, so it is divided out: the nearest integer to 255 * c / a.
TEST_F(ImageDecode, TiffAssociatedAlphaIsUnpremultiplied) {
  tiff_picture t;
  t.width = 6;
  t.height = 1;
  t.extra = {1};
  t.samples = {{128, 128, 128, 128}, {100, 50, 25, 200}, {0, 0, 0, 0}, {1, 1, 0, 1}, {200, 10, 10, 100}, {7, 0, 255, 255}};
  const std::vector<packed_rgba> want = {pack_rgba(255, 255, 255, 128), pack_rgba(128, 64, 32, 200),
                                         pack_rgba(0, 0, 0, 0),         pack_rgba(255, 255, 0, 1),
                                         pack_rgba(255, 26, 26, 100),   pack_rgba(7, 0, 255, 255)};
  const decoded_image image = decode_image(write("associated.tif", tiff_of(t)), limit);
  EXPECT_EQ(image.pixels, want);

  t.bits = 16;
  t.width = 3;
  t.samples = {{32768, 16384, 0, 32768}, {65535, 65535, 65535, 65535}, {257, 0, 100, 514}};
  const decoded_image deep = decode_image(write("associated16.tif", tiff_of(t)), limit);
  EXPECT_EQ(deep.pixels, (std::vector<packed_rgba>{pack_rgba(255, 128, 0, 128), pack_rgba(255, 255, 255, 255),
                                                   pack_rgba(128, 0, 50, 2)}));
}

TEST_F(ImageDecode, TiffExtraSamplesAfterTheAlphaAreSkipped) {
  tiff_picture t;
  t.width = 2;
  t.height = 1;
  t.extra = {2, 0};
  t.samples = {{1, 2, 3, 4, 99}, {250, 251, 252, 253, 7}};
  const decoded_image image = decode_image(write("rgbax.tif", tiff_of(t)), limit);
  EXPECT_EQ(image.pixels, (std::vector<packed_rgba>{pack_rgba(1, 2, 3, 4), pack_rgba(250, 251, 252, 253)}));
}

// Reference rotations for the Orientation tag, built from two plain moves.
struct grid {
  std::uint32_t w, h;
  std::vector<packed_rgba> p;
  packed_rgba at(std::uint32_t x, std::uint32_t y) const { return p[std::size_t{y} * w + x]; }
};
grid turned_clockwise(const grid& g) {
  grid out{g.h, g.w, {}};
  for (std::uint32_t y = 0; y < out.h; ++y)
    for (std::uint32_t x = 0; x < out.w; ++x) out.p.push_back(g.at(y, g.h - 1 - x));
  return out;
}
grid mirrored(const grid& g) {
  grid out{g.w, g.h, {}};
  for (std::uint32_t y = 0; y < out.h; ++y)
    for (std::uint32_t x = 0; x < out.w; ++x) out.p.push_back(g.at(g.w - 1 - x, y));
  return out;
}

TEST_F(ImageDecode, TiffWithAlphaFollowsItsOrientationTag) {
  tiff_picture t = pattern_picture(5, 3, 8, 2);
  grid stored{5, 3, {}};
  for (const auto& s : t.samples) stored.p.push_back(straight(t, s));
  const grid cw = turned_clockwise(stored), half = turned_clockwise(cw), ccw = turned_clockwise(half);
  // TIFF 6.0 Orientation = EXIF's: what to do to the stored rows to show them.
  const grid want[9] = {stored, stored, mirrored(stored), half, mirrored(half), mirrored(cw), cw, mirrored(ccw), ccw};
  for (std::uint16_t orientation = 1; orientation <= 8; ++orientation) {
    SCOPED_TRACE(orientation);
    t.orientation = orientation;
    const decoded_image image = decode_image(write("oriented.tif", tiff_of(t)), limit);
    ASSERT_EQ(image.width, want[orientation].w);
    ASSERT_EQ(image.height, want[orientation].h);
    EXPECT_EQ(image.pixels, want[orientation].p);
  }
}

// The IFD entry of tag in a little-endian TIFF made by tiff_of.
std::size_t tiff_entry(const bytes& tiff, std::uint16_t tag) {
  const std::size_t ifd = tiff[4] | tiff[5] << 8 | tiff[6] << 16 | std::size_t{tiff[7]} << 24;
  const std::size_t entries = tiff[ifd] | tiff[ifd + 1] << 8;
  for (std::size_t i = 0; i < entries; ++i) {
    const std::size_t at = ifd + 2 + 12 * i;
    if ((tiff[at] | tiff[at + 1] << 8) == tag) return at;
  }
  ADD_FAILURE() << "no tag " << tag;
  return 0;
}

TEST_F(ImageDecode, TruncatedTiffWithAlpha) {
  tiff_picture t = pattern_picture(64, 64, 8, 2);
  t.rows_per_strip = 64;
  bytes tiff = tiff_of(t);
  // Move the one strip to 100 bytes before the end: most of it is missing.
  const std::size_t entry = tiff_entry(tiff, 273);
  ASSERT_NE(entry, 0u);
  const auto offset = static_cast<std::uint32_t>(tiff.size() - 100);
  for (int i = 0; i < 4; ++i) tiff[entry + 8 + i] = static_cast<std::uint8_t>(offset >> (8 * i));
  ::testing::internal::CaptureStderr();
  expect_failure(write("cut.tif", tiff), error_kind::bad_input, "cannot decode TIFF (libtiff: ");
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "") << "libtiff's complaint goes into our reason";
}

TEST_F(ImageDecode, TiffWithAlphaOverThePixelLimit) {
  const std::string path = write("big.tif", tiff_of(pattern_picture(20, 10, 8, 2)));
  expect_failure(path, error_kind::bad_input, "20x10 = 200 pixels, more than --max-pixels 199", 199);
}

}  // namespace
}  // namespace kmq::io
