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

// A BMP never needs the OpenCV module (the parity test checks the same for
// the other formats kmq reads itself).
TEST(BmpFixtures, NoneLoadsTheOpenCvModule) {
  for (const auto& entry : fs::directory_iterator(bmp_dir())) {
    if (entry.path().extension() == ".bmp") decode(read_all(entry.path()));
  }
  std::ifstream maps("/proc/self/maps");
  const std::string mapped((std::istreambuf_iterator<char>(maps)), std::istreambuf_iterator<char>());
  EXPECT_EQ(mapped.find("kmq_opencv_decoder"), std::string::npos);
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
  b = xrgb;
  put32(b, 54, 0), put32(b, 58, 0), put32(b, 62, 0);
  expect_refused(b, "empty colour masks");
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
