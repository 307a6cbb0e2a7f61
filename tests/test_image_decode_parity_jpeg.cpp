// kmq_io's JPEG decoder (libjpeg-turbo) against OpenCV's, pixel for pixel:
// files libjpeg writes in colour and grey at every sampling, EXIF orientations
// applied as OpenCV applies them, and files OpenCV writes. Where kmq follows
// Chromium instead (CMYK and YCCK's rounding, an EXIF segment after an XMP
// one), against Chromium's rule.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cmath>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <jpeglib.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "image_decode_parity_test_support.hpp"
#include "image_fixtures.hpp"

namespace kmq::io {
namespace {

using namespace kmq::io::testing;

// --- JPEG: libjpeg-written colour, grey, CMYK and YCCK, every sampling ----

struct jpeg_spec {
  J_COLOR_SPACE in = JCS_RGB, stored = JCS_YCbCr;
  int h0 = 2, v0 = 2;  // the first component's sampling factors
  bool progressive = false;
  int quality = 85;
  std::uint32_t width = 37, height = 23;
};

bytes write_jpeg(const jpeg_spec& s, std::uint32_t seed) {
  jpeg_compress_struct cinfo{};
  jpeg_error_mgr jerr{};
  cinfo.err = jpeg_std_error(&jerr);
  jpeg_create_compress(&cinfo);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &buffer, &size);
  cinfo.image_width = s.width;
  cinfo.image_height = s.height;
  cinfo.input_components = s.in == JCS_GRAYSCALE ? 1 : s.in == JCS_CMYK ? 4 : 3;
  cinfo.in_color_space = s.in;
  jpeg_set_defaults(&cinfo);
  jpeg_set_colorspace(&cinfo, s.stored);
  jpeg_set_quality(&cinfo, s.quality, TRUE);
  cinfo.comp_info[0].h_samp_factor = s.h0;
  cinfo.comp_info[0].v_samp_factor = s.v0;
  if (s.progressive) jpeg_simple_progression(&cinfo);
  jpeg_start_compress(&cinfo, TRUE);
  std::mt19937 random(seed);
  std::vector<JSAMPLE> row(std::size_t{s.width} * cinfo.input_components);
  for (std::uint32_t y = 0; y < s.height; ++y) {
    for (std::size_t i = 0; i < row.size(); ++i)
      row[i] = static_cast<JSAMPLE>((i * 7 + y * 11) % 256 / 2 + random() % 128);
    JSAMPROW r = row.data();
    jpeg_write_scanlines(&cinfo, &r, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  bytes out(buffer, buffer + size);
  std::free(buffer);
  return out;
}

// A four-component JPEG as Chromium shows it: libjpeg's (Adobe, inverted)
// CMYK, each channel times black over 255, rounded (Skia's SkMulDiv255Round),
// computed here in floating point. OpenCV's k - ((255 - c) * k >> 8) came out
// up to 2 above that, and black as 1.
void expect_cmyk_as_chromium(const bytes& file, const std::string& name) {
  jpeg_decompress_struct cinfo{};
  jpeg_error_mgr jerr{};
  cinfo.err = jpeg_std_error(&jerr);
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, file.data(), static_cast<unsigned long>(file.size()));
  ASSERT_EQ(jpeg_read_header(&cinfo, TRUE), JPEG_HEADER_OK) << name;
  cinfo.out_color_space = JCS_CMYK;
  jpeg_start_decompress(&cinfo);
  std::vector<packed_rgba> expected;
  std::vector<JSAMPLE> row(std::size_t{cinfo.output_width} * 4);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW rows[1] = {row.data()};
    jpeg_read_scanlines(&cinfo, rows, 1);
    for (std::size_t x = 0; x < cinfo.output_width; ++x) {
      const JSAMPLE* p = &row[4 * x];
      const auto channel = [&](int i) { return static_cast<std::uint32_t>(std::lround(p[i] * p[3] / 255.0)); };
      expected.push_back(pack_rgba(channel(0), channel(1), channel(2), 255));
    }
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  const decoded_image image = image_decoder().decode_bytes(file, name);
  ASSERT_EQ(image.pixels.size(), expected.size()) << name;
  std::size_t differ = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) differ += image.pixels[i] != expected[i];
  EXPECT_EQ(differ, 0u) << name;
  EXPECT_EQ(image.pixels[0] & 0xff000000u, 0xff000000u) << name;
}

TEST(ImageDecodeParity, JpegColourGreyCmykYcckInEverySampling) {
  std::uint32_t seed = 1;
  const std::vector<std::pair<J_COLOR_SPACE, J_COLOR_SPACE>> spaces = {
      {JCS_RGB, JCS_YCbCr}, {JCS_RGB, JCS_RGB}, {JCS_GRAYSCALE, JCS_GRAYSCALE}, {JCS_CMYK, JCS_CMYK},
      {JCS_CMYK, JCS_YCCK}};
  for (const auto& [in, stored] : spaces) {
    for (const auto& [h, v] : std::vector<std::pair<int, int>>{{1, 1}, {2, 1}, {1, 2}, {2, 2}}) {
      if (stored == JCS_GRAYSCALE && (h != 1 || v != 1)) continue;
      for (const bool progressive : {false, true}) {
        jpeg_spec spec;
        spec.in = in;
        spec.stored = stored;
        spec.h0 = h;
        spec.v0 = v;
        spec.progressive = progressive;
        spec.quality = progressive ? 60 : 92;
        const std::string name = "jpeg space " + std::to_string(stored) + " sampling " + std::to_string(h) + "x" +
                                 std::to_string(v) + (progressive ? " progressive" : "");
        if (in == JCS_CMYK) expect_cmyk_as_chromium(write_jpeg(spec, seed++), name);
        else expect_same_as_opencv(write_jpeg(spec, seed++), true, name);
      }
    }
  }
}

bytes with_app1(bytes jpeg, const bytes& payload) {
  bytes segment = {0xFF, 0xE1, static_cast<std::uint8_t>((payload.size() + 2) >> 8),
                   static_cast<std::uint8_t>(payload.size() + 2)};
  segment.insert(segment.end(), payload.begin(), payload.end());
  jpeg.insert(jpeg.begin() + 2, segment.begin(), segment.end());
  return jpeg;
}

bytes exif_payload(bool big_endian, std::uint16_t orientation, bool make_out_of_range = false, std::uint16_t type = 3) {
  auto u16 = [&](bytes& b, std::uint32_t v) {
    if (big_endian) b.insert(b.end(), {std::uint8_t(v >> 8), std::uint8_t(v)});
    else b.insert(b.end(), {std::uint8_t(v), std::uint8_t(v >> 8)});
  };
  auto u32 = [&](bytes& b, std::uint32_t v) {
    if (big_endian) u16(b, v >> 16), u16(b, v & 0xffff);
    else u16(b, v & 0xffff), u16(b, v >> 16);
  };
  bytes b = {'E', 'x', 'i', 'f', 0, 0};
  b.push_back(big_endian ? 'M' : 'I');
  b.push_back(big_endian ? 'M' : 'I');
  u16(b, 42);
  u32(b, 8);
  u16(b, make_out_of_range ? 2 : 1);
  if (make_out_of_range) {  // Make, ASCII, 100 bytes at offset 5000: past the end
    u16(b, 0x010F), u16(b, 2), u32(b, 100), u32(b, 5000);
  }
  u16(b, 0x0112), u16(b, type), u32(b, 1);
  if (type == 3) u16(b, orientation), u16(b, 0);
  else u32(b, orientation);
  u32(b, 0);
  return b;
}

TEST(ImageDecodeParity, JpegExifOrientationsAsOpenCvAppliesThem) {
  jpeg_spec spec;
  spec.width = 29;
  spec.height = 13;
  const bytes plain = write_jpeg(spec, 7);
  for (std::uint16_t orientation = 0; orientation <= 9; ++orientation) {
    for (const bool big_endian : {false, true}) {
      expect_same_as_opencv(with_app1(plain, exif_payload(big_endian, orientation)), true,
                            "orientation " + std::to_string(orientation) + (big_endian ? " MM" : " II"));
    }
    expect_same_as_opencv(with_exif_orientation(plain, orientation), true, "fixture orientation");
  }
  // Where kmq reads as Chromium does, not as OpenCV did: the first APP1 that
  // is EXIF counts, even after an XMP one (OpenCV read only the first APP1),
  // and a string tag pointing past the end does not hide the orientation
  // (it ended OpenCV's parsing).
  const auto decoded = [](const bytes& file) { return image_decoder().decode_bytes(file, "exif").pixels; };
  const std::string xmp = "http://ns.adobe.com/xap/1.0/";
  const bytes xmp_payload(xmp.begin(), xmp.end() + 1);
  const auto turned = decoded(with_app1(plain, exif_payload(false, 6)));
  // (with_app1 puts its segment first.)
  expect_same_as_opencv(with_app1(with_app1(plain, xmp_payload), exif_payload(false, 6)), true, "exif first");
  EXPECT_TRUE(decoded(with_app1(with_app1(plain, exif_payload(false, 6)), xmp_payload)) == turned) << "xmp first";
  EXPECT_TRUE(decoded(with_app1(plain, exif_payload(false, 6, true))) == turned) << "make out of range";
  EXPECT_TRUE(decoded(with_app1(plain, exif_payload(true, 8, true))) == decoded(with_app1(plain, exif_payload(true, 8))))
      << "make out of range MM";
  EXPECT_FALSE(turned == decoded(plain));
  // An Orientation of type LONG is not one (Chromium's rule; OpenCV read its
  // first two bytes, which turned a little-endian file but not a big-endian one).
  EXPECT_TRUE(decoded(with_app1(plain, exif_payload(false, 6, false, 4))) == decoded(plain)) << "LONG II";
  EXPECT_TRUE(decoded(with_app1(plain, exif_payload(true, 6, false, 4))) == decoded(plain)) << "LONG MM";
}

TEST(ImageDecodeParity, JpegWrittenByOpenCv) {
  const cv::Mat bgr = noise_bgr(45, 27);
  cv::Mat gray;
  cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
  expect_same_as_opencv(encode(".jpg", bgr), true, "opencv colour");
  expect_same_as_opencv(encode(".jpg", gray), true, "opencv grey");
  expect_same_as_opencv(encode(".jpg", bgr, {cv::IMWRITE_JPEG_PROGRESSIVE, 1}), true, "opencv progressive");
  expect_same_as_opencv(encode(".jpg", bgr, {cv::IMWRITE_JPEG_RST_INTERVAL, 1}), true, "opencv restarts");
}

}  // namespace
}  // namespace kmq::io
