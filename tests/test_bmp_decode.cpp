// BMPs read by kmq's own decoder (io/src/bmp_decoder.cpp): every kind in
// tests/data/bmp/ against NAME.expected.png, which make_bmp_fixtures.py wrote
// from Pillow's reading of the file (or, where Pillow cannot read it or
// reads it wrongly, from the format); then broken and unsupported files,
// each refused with its reason, never decoded into wrong pixels.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "kmq/error.hpp"
#include "kmq/io/image_decoder.hpp"

namespace kmq::io {
namespace {

namespace fs = std::filesystem;
using bytes = std::vector<std::uint8_t>;

fs::path bmp_dir() {
  if (const char* root = std::getenv("KMQ_SOURCE_DIR")) return fs::path(root) / "tests" / "data" / "bmp";
  return fs::path(__FILE__).parent_path() / "data" / "bmp";
}

bytes read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

decoded_image decode(const bytes& file) { return image_decoder().decode_bytes(file, "test.bmp"); }

TEST(BmpFixtures, EveryKindGivesItsExpectedPixels) {
  int files = 0;
  for (const auto& entry : fs::directory_iterator(bmp_dir())) {
    if (entry.path().extension() != ".bmp") continue;
    SCOPED_TRACE(entry.path().filename().string());
    fs::path expected = entry.path();
    expected.replace_extension(".expected.png");
    const decoded_image want = image_decoder().decode_file(expected.string());
    decoded_image got;
    ASSERT_NO_THROW(got = decode(read_all(entry.path())));
    ASSERT_EQ(got.width, want.width);
    ASSERT_EQ(got.height, want.height);
    EXPECT_EQ(got.has_alpha, want.has_alpha);
    ASSERT_EQ(got.pixels.size(), want.pixels.size());
    for (std::size_t i = 0; i < want.pixels.size(); ++i) {
      ASSERT_EQ(got.pixels[i], want.pixels[i]) << "pixel " << i % want.width << "," << i / want.width;
    }
    ++files;
  }
  EXPECT_GE(files, 16);
}

void put32(bytes& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

void expect_refused(const bytes& file, const std::string& reason) {
  try {
    decode(file);
    ADD_FAILURE() << "decoded; expected \"" << reason << "\"";
  } catch (const error& e) {
    EXPECT_EQ(e.kind(), error_kind::bad_input) << e.describe();
    EXPECT_EQ(e.path(), "test.bmp");
    EXPECT_NE(e.describe().find(reason), std::string::npos) << e.describe();
  }
}

TEST(BmpBroken, EveryCutOfEveryKindIsRefusedOrDecodesInBounds) {
  for (const auto& entry : fs::directory_iterator(bmp_dir())) {
    if (entry.path().extension() != ".bmp") continue;
    SCOPED_TRACE(entry.path().filename().string());
    const bytes whole = read_all(entry.path());
    for (std::size_t size = 0; size < whole.size(); ++size) {
      const bytes cut(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(size));
      try {
        const decoded_image image = decode(cut);
        // Only an RLE file can end early and be whole: after its end of bitmap.
        EXPECT_EQ(image.pixels.size(), std::size_t{image.width} * image.height);
      } catch (const error& e) {
        EXPECT_EQ(e.kind(), error_kind::bad_input) << size << ": " << e.describe();
      }
    }
  }
}

TEST(BmpBroken, UnsupportedKindsAndBadFieldsNameTheirReason) {
  const bytes xrgb = read_all(bmp_dir() / "xrgb-v5.bmp");
  bytes b = xrgb;
  b[28] = 64;  // 64 bits per pixel
  expect_refused(b, "unsupported BMP: 64 bits per pixel");
  b = xrgb;
  put32(b, 30, 4);  // BI_JPEG
  expect_refused(b, "unsupported BMP: embedded JPEG or PNG");
  b = xrgb;
  put32(b, 54, 0x00ff00ff);  // a red mask in two pieces
  expect_refused(b, "not contiguous");
  b = read_all(bmp_dir() / "rgb565-v5.bmp");
  put32(b, 54, 0), put32(b, 58, 0), put32(b, 62, 0);
  expect_refused(b, "empty colour masks");  // at 32 bits: B, G, R, A, as Pillow reads it (below)
  b = xrgb;
  put32(b, 18, 0);
  expect_refused(b, "empty image");  // the header's sizes are checked before any decoder runs
  b = xrgb;
  put32(b, 14, 8);
  expect_refused(b, "corrupt BMP header");
  b = read_all(bmp_dir() / "rle8.bmp");
  put32(b, 30, 1);
  b[28] = 24;  // RLE8 on 24 bits
  expect_refused(b, "compression 1 with 24 bits per pixel");
  b = read_all(bmp_dir() / "rle8.bmp");
  b.resize(b.size() - 6);  // the last row and the end of bitmap gone
  expect_refused(b, "file ends inside the pixel data");
}

// A colour channel whose mask is 0 is 0 (the fuzzer's division by zero).
TEST(BmpFixtures, AColourWithoutBitsIsZero) {
  bytes b = read_all(bmp_dir() / "xrgb-v5.bmp");
  put32(b, 54, 0);  // no red
  const decoded_image image = decode(b);
  const decoded_image whole = decode(read_all(bmp_dir() / "xrgb-v5.bmp"));
  ASSERT_EQ(image.pixels.size(), whole.pixels.size());
  for (std::size_t i = 0; i < image.pixels.size(); ++i) ASSERT_EQ(image.pixels[i], whole.pixels[i] & 0xffffff00u);
}

// A BMP as bytes: file header, a 40-byte (or larger) info header, `extra`
// (masks, palette) and the pixel data; offset 0 writes the true offset.
bytes bmp_file(std::uint32_t header_size, std::int32_t width, std::int32_t height, std::uint16_t bpp,
               std::uint32_t compression, const bytes& extra, const bytes& pixels, std::uint32_t offset = 0,
               std::uint32_t colours = 0) {
  bytes b(14 + header_size, 0);
  b[0] = 'B', b[1] = 'M';
  put32(b, 10, offset != 0 ? offset : static_cast<std::uint32_t>(14 + header_size + extra.size()));
  put32(b, 14, header_size);
  put32(b, 18, static_cast<std::uint32_t>(width));
  put32(b, 22, static_cast<std::uint32_t>(height));
  b[26] = 1;
  b[28] = static_cast<std::uint8_t>(bpp);
  put32(b, 30, compression);
  put32(b, 46, colours);
  b.insert(b.end(), extra.begin(), extra.end());
  b.insert(b.end(), pixels.begin(), pixels.end());
  put32(b, 2, static_cast<std::uint32_t>(b.size()));
  return b;
}

bytes le32s(std::initializer_list<std::uint32_t> values) {
  bytes out;
  for (const std::uint32_t v : values) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  return out;
}

// A header that claims 65535 x 65535 pixels in a file of a few bytes is
// refused before the 16 GiB of pixels are allocated.
TEST(BmpBroken, AHugeClaimInATinyFileAllocatesNothing) {
  const bytes file = bmp_file(40, 65535, 65535, 24, 0, {}, bytes(4, 0));
  decode_limits limits;
  limits.max_pixels = 4294967295u;  // the most --max-pixels allows
  try {
    image_decoder(limits).decode_bytes(file, "test.bmp");
    ADD_FAILURE() << "decoded";
  } catch (const error& e) {
    EXPECT_NE(e.describe().find("file ends inside the pixel data"), std::string::npos) << e.describe();
  }
}

// Layouts Pillow reads that the fixtures do not hold.
TEST(BmpFixtures, OddLayoutsReadAsPillowReadsThem) {
  // 2x1, 8 bits, 2 colours (green, red), the pixel offset at the palette's
  // start: the pixels follow the palette.
  const bytes palette = {0, 255, 0, 0, 0, 0, 255, 0};
  decoded_image image = decode(bmp_file(40, 2, 1, 8, 0, palette, {0, 1, 0, 0}, 54, 2));
  EXPECT_EQ(image.pixels, (std::vector<packed_rgba>{pack_rgba(0, 255, 0, 255), pack_rgba(255, 0, 0, 255)}));
  // 32-bit bit fields with every mask 0: B, G, R, A.
  image = decode(bmp_file(40, 1, 1, 32, 3, le32s({0, 0, 0}), {10, 20, 30, 40}));
  EXPECT_EQ(image.pixels, std::vector<packed_rgba>{pack_rgba(30, 20, 10, 40)});
  // 24-bit bit fields in the B, G, R layout; any other is refused.
  image = decode(bmp_file(40, 1, 1, 24, 3, le32s({0xff0000, 0xff00, 0xff}), {10, 20, 30, 0}));
  EXPECT_EQ(image.pixels, std::vector<packed_rgba>{pack_rgba(30, 20, 10, 255)});
  expect_refused(bmp_file(40, 1, 1, 24, 3, le32s({0xff, 0xff00, 0xff0000}), {10, 20, 30, 0}),
                 "24-bit bit fields other than B, G, R bytes");
  // BI_ALPHABITFIELDS after a 52-byte header (R, G, B masks inside it, alpha
  // after it), offset 0: the pixels follow the alpha mask.
  bytes v52 = bmp_file(52, 1, 1, 32, 6, le32s({0xff000000}), {1, 2, 3, 200});
  put32(v52, 54, 0xff0000), put32(v52, 58, 0xff00), put32(v52, 62, 0xff);
  put32(v52, 10, 0);
  image = decode(v52);
  EXPECT_EQ(image.pixels, std::vector<packed_rgba>{pack_rgba(3, 2, 1, 200)});
  EXPECT_TRUE(image.has_alpha);
}

// X8R8G8B8 with the alpha mask 0 in a V5 header is what GIMP and Windows
// write for 32 bits without alpha: its zero fourth bytes are no alpha. OpenCV
// read them as alpha, and kmq wrote a wholly transparent image.
TEST(BmpFixtures, ThirtyTwoBitsWithoutAnAlphaMaskAreOpaque) {
  for (const char* name : {"xrgb-v5.bmp", "xbgr-v4.bmp", "rgb32.bmp", "argb-v5-alpha-0.bmp"}) {
    SCOPED_TRACE(name);
    const decoded_image image = decode(read_all(bmp_dir() / name));
    EXPECT_FALSE(image.has_alpha);
    for (const packed_rgba p : image.pixels) ASSERT_EQ(alpha_of(p), 255u);
  }
}

}  // namespace
}  // namespace kmq::io
