// The decoders kmq_io runs itself (libpng, libjpeg-turbo, libwebp) give
// exactly the pixels the OpenCV path gave before them: cv::imdecode with
// IMREAD_COLOR for JPEG (EXIF orientation applied, CMYK converted OpenCV's
// way) and IMREAD_UNCHANGED otherwise, 16 bits rounded to 8 as
// (v * 255 + 32767) / 65535; except a grey PNG's tRNS, alpha for kmq and not for
// OpenCV, and a PNG's eXIf orientation, applied by kmq and not by OpenCV. Every PNG, JPEG and WebP under tests/data/ and
// sample_images/, and files of every kind those libraries write.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include <jpeglib.h>
#include <png.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "image_fixtures.hpp"
#include "libpng_writer.hpp"
#include "kmq/error.hpp"
#include "kmq/io/image_decoder.hpp"

namespace kmq::io {
namespace {

namespace fs = std::filesystem;
using namespace kmq::io::testing;

fs::path source_dir() {
  if (const char* root = std::getenv("KMQ_SOURCE_DIR")) return root;
  return fs::path(__FILE__).parent_path().parent_path();
}

struct reference_image {
  std::uint32_t width = 0, height = 0;
  std::vector<packed_rgba> pixels;
  bool has_alpha = false;
};

std::uint32_t to8(std::uint8_t v) { return v; }
std::uint32_t to8(std::uint16_t v) { return (std::uint32_t{v} * 255u + 32767u) / 65535u; }

template <typename T>
void convert(const cv::Mat& mat, reference_image& out) {
  const int cn = mat.channels();
  for (int y = 0; y < mat.rows; ++y) {
    const T* p = mat.ptr<T>(y);
    for (int x = 0; x < mat.cols; ++x, p += cn) {
      switch (cn) {
        case 1: out.pixels.push_back(pack_rgba(to8(p[0]), to8(p[0]), to8(p[0]), 255)); break;
        case 2: out.pixels.push_back(pack_rgba(to8(p[0]), to8(p[0]), to8(p[0]), to8(p[1]))); break;
        case 3: out.pixels.push_back(pack_rgba(to8(p[2]), to8(p[1]), to8(p[0]), 255)); break;
        default: out.pixels.push_back(pack_rgba(to8(p[2]), to8(p[1]), to8(p[0]), to8(p[3])));
      }
    }
  }
}

// What image_decoder gave when it decoded everything with OpenCV.
reference_image opencv_reference(const bytes& file, bool jpeg) {
  const cv::Mat mat = cv::imdecode(file, jpeg ? cv::IMREAD_COLOR : cv::IMREAD_UNCHANGED);
  reference_image ref;
  if (mat.empty()) return ref;
  ref.width = static_cast<std::uint32_t>(mat.cols);
  ref.height = static_cast<std::uint32_t>(mat.rows);
  if (mat.depth() == CV_8U) convert<std::uint8_t>(mat, ref);
  else convert<std::uint16_t>(mat, ref);
  ref.has_alpha = mat.channels() == 2 || mat.channels() == 4;
  return ref;
}

// mend: where OpenCV was wrong, what kmq gives instead (a grey PNG's tRNS,
// a BMP's bit fields).
void expect_same_as_opencv(const bytes& file, bool jpeg, const std::string& name,
                           const std::function<void(reference_image&)>& mend = {}) {
  SCOPED_TRACE(name);
  reference_image want = opencv_reference(file, jpeg);
  ASSERT_FALSE(want.pixels.empty()) << "OpenCV cannot read the file";
  if (mend) mend(want);
  decoded_image got;
  ASSERT_NO_THROW(got = image_decoder().decode_bytes(file, name));
  ASSERT_EQ(got.width, want.width);
  ASSERT_EQ(got.height, want.height);
  EXPECT_EQ(got.has_alpha, want.has_alpha);
  ASSERT_EQ(got.pixels.size(), want.pixels.size());
  std::size_t differ = 0, first = 0;
  for (std::size_t i = 0; i < want.pixels.size(); ++i)
    if (got.pixels[i] != want.pixels[i] && differ++ == 0) first = i;
  EXPECT_EQ(differ, 0u) << "first at pixel " << first << ": got " << std::hex << got.pixels[first] << ", OpenCV "
                        << want.pixels[first];
}

bytes read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(ImageDecodeParity, EveryPngJpegWebpFileInTheTree) {
  int files = 0;
  for (const char* dir : {"tests/data", "sample_images"}) {
    for (const auto& entry : fs::recursive_directory_iterator(source_dir() / dir)) {
      std::string ext = entry.path().extension().string();
      for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      const bool jpeg = ext == ".jpg" || ext == ".jpeg";
      if (!jpeg && ext != ".png" && ext != ".webp" && ext != ".bmp") continue;
      // Where OpenCV is wrong, held to Pillow instead: tests/data/bmp/
      // (test_bmp_decode), the grey PNG with a tRNS (AlphaFixtures) and the
      // PNGs turned by their eXIf, which OpenCV ignores (ImageDecodeExif).
      const fs::path folder = entry.path().parent_path().filename();
      if (folder == "bmp" || folder == "exif" || entry.path().filename() == "grey-trns.png") continue;
      expect_same_as_opencv(read_all(entry.path()), jpeg, entry.path().string());
      ++files;
    }
  }
  EXPECT_GE(files, 12);
}

// --- PNG of every colour type and depth, written with libpng ----------------

struct png_spec {
  int color_type, bit_depth;
  bool interlaced = false, trns = false, gamma = false;
  std::uint32_t width = 13, height = 7;
};

// Rows of random samples at any depth, some of them equal to the tRNS key;
// keyed (when given) says for a grey image which pixels are.
bytes write_png(const png_spec& s, std::uint32_t seed, std::vector<char>* keyed = nullptr) {
  std::mt19937 random(seed);
  const int max = (1 << s.bit_depth) - 1;
  const int channels = (s.color_type == PNG_COLOR_TYPE_PALETTE || s.color_type == PNG_COLOR_TYPE_GRAY) ? 1
                       : s.color_type == PNG_COLOR_TYPE_GRAY_ALPHA                                        ? 2
                       : s.color_type == PNG_COLOR_TYPE_RGB                                               ? 3
                                                                                                          : 4;
  std::vector<png_color> palette;
  std::vector<png_byte> palette_alpha;
  if (s.color_type == PNG_COLOR_TYPE_PALETTE) {
    palette.resize(std::size_t(1) << s.bit_depth);
    for (auto& c : palette) c = {static_cast<png_byte>(random()), static_cast<png_byte>(random()), static_cast<png_byte>(random())};
    if (s.trns) {
      palette_alpha.resize(palette.size() / 2 + 1);
      for (auto& a : palette_alpha) a = static_cast<png_byte>(random());
    }
  }
  png_color_16 key{};
  key.gray = key.red = static_cast<png_uint_16>(max / 3);
  key.green = static_cast<png_uint_16>(max / 2);
  key.blue = static_cast<png_uint_16>(max);
  const std::size_t row_bytes = (std::size_t{s.width} * static_cast<std::size_t>(channels * s.bit_depth) + 7) / 8;
  std::vector<std::vector<png_byte>> rows(s.height, std::vector<png_byte>(row_bytes));
  for (std::uint32_t y = 0; y < s.height; ++y) {
    // Samples packed big-endian at any depth.
    std::vector<int> samples(std::size_t{s.width} * channels);
    for (std::size_t i = 0; i < samples.size(); ++i) {
      const int roll = static_cast<int>(random() % 8);
      samples[i] = roll == 0 ? 0 : roll == 1 ? max : roll == 2 ? max / 3 : static_cast<int>(random() % (max + 1));
    }
    if (s.trns && s.color_type == PNG_COLOR_TYPE_RGB && y % 2 == 0 && s.width > 2) {
      samples[3] = max / 3;
      samples[4] = max / 2;
      samples[5] = max;
    }
    if (keyed != nullptr && s.color_type == PNG_COLOR_TYPE_GRAY) {
      for (const int v : samples) keyed->push_back(s.trns && v == key.gray);
    }
    std::size_t bit = 0;
    for (const int v : samples) {
      if (s.bit_depth == 16) {
        rows[y][bit / 8] = static_cast<png_byte>(v >> 8);
        rows[y][bit / 8 + 1] = static_cast<png_byte>(v);
      } else {
        rows[y][bit / 8] |= static_cast<png_byte>(v << (8 - s.bit_depth - bit % 8));
      }
      bit += static_cast<std::size_t>(s.bit_depth);
    }
  }
  return write_with_libpng(
      [&](png_structp png, png_infop info) {
        png_set_IHDR(png, info, s.width, s.height, s.bit_depth, s.color_type,
                     s.interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                     PNG_FILTER_TYPE_DEFAULT);
        if (!palette.empty()) png_set_PLTE(png, info, palette.data(), static_cast<int>(palette.size()));
        if (!palette_alpha.empty()) {
          png_set_tRNS(png, info, palette_alpha.data(), static_cast<int>(palette_alpha.size()), nullptr);
        } else if (s.trns && s.color_type != PNG_COLOR_TYPE_PALETTE) {
          png_set_tRNS(png, info, nullptr, 1, &key);
        }
        if (s.gamma) png_set_gAMA(png, info, 0.8);
      },
      rows);
}

TEST(ImageDecodeParity, PngOfEveryColourTypeDepthTrnsAndInterlace) {
  const std::vector<std::pair<int, std::vector<int>>> kinds = {
      {PNG_COLOR_TYPE_GRAY, {1, 2, 4, 8, 16}},     {PNG_COLOR_TYPE_GRAY_ALPHA, {8, 16}},
      {PNG_COLOR_TYPE_RGB, {8, 16}},               {PNG_COLOR_TYPE_RGB_ALPHA, {8, 16}},
      {PNG_COLOR_TYPE_PALETTE, {1, 2, 4, 8}}};
  std::uint32_t seed = 1;
  for (const auto& [type, depths] : kinds) {
    for (const int depth : depths) {
      for (const bool interlaced : {false, true}) {
        for (const bool trns : {false, true}) {
          if (trns && (type & PNG_COLOR_MASK_ALPHA)) continue;
          for (const bool gamma : {false, true}) {
            png_spec spec{type, depth, interlaced, trns, gamma};
            if (interlaced) spec.width = 37, spec.height = 19;
            std::vector<char> keyed;
            const bytes png = write_png(spec, seed++, &keyed);
            ASSERT_FALSE(png.empty());
            if (type == PNG_COLOR_TYPE_GRAY && trns) {
              ASSERT_NE(std::count(keyed.begin(), keyed.end(), 1), 0) << "no pixel has the key";
            }
            // OpenCV ignores a grey image's tRNS; kmq makes the key's pixels
            // transparent (as Pillow, browsers and the PNG specification do), colour kept.
            const auto key_transparent = [&keyed](reference_image& want) {
              ASSERT_EQ(keyed.size(), want.pixels.size());
              for (std::size_t i = 0; i < keyed.size(); ++i)
                if (keyed[i]) want.pixels[i] &= 0x00ffffffu;
              want.has_alpha = true;
            };
            expect_same_as_opencv(png, false,
                                  "type " + std::to_string(type) + " depth " + std::to_string(depth) +
                                      (interlaced ? " interlaced" : "") + (trns ? " tRNS" : "") + (gamma ? " gAMA" : ""),
                                  type == PNG_COLOR_TYPE_GRAY && trns ? std::function<void(reference_image&)>(key_transparent)
                                                                      : nullptr);
          }
        }
      }
    }
  }
}

TEST(ImageDecodeParity, PngWrittenByOpenCv) {
  const cv::Mat bgr = noise_bgr(31, 17);
  cv::Mat bgra, gray, bgr16;
  cv::cvtColor(bgr, bgra, cv::COLOR_BGR2BGRA);
  cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
  bgr.convertTo(bgr16, CV_16U, 257.0, 3);
  for (const cv::Mat& m : {bgr, bgra, gray, bgr16}) expect_same_as_opencv(encode(".png", m), false, "opencv png");
}

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
        expect_same_as_opencv(write_jpeg(spec, seed++), true,
                              "jpeg space " + std::to_string(stored) + " sampling " + std::to_string(h) + "x" +
                                  std::to_string(v) + (progressive ? " progressive" : ""));
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

bytes exif_payload(bool big_endian, std::uint16_t orientation, bool make_out_of_range = false) {
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
  u16(b, 0x0112), u16(b, 3), u32(b, 1), u16(b, orientation), u16(b, 0);
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
  // Only the first APP1 counts: an XMP one before the EXIF hides it from OpenCV.
  const std::string xmp = "http://ns.adobe.com/xap/1.0/";
  const bytes xmp_payload(xmp.begin(), xmp.end() + 1);
  expect_same_as_opencv(with_app1(with_app1(plain, exif_payload(false, 6)), xmp_payload), true, "xmp first");
  expect_same_as_opencv(with_app1(with_app1(plain, xmp_payload), exif_payload(false, 6)), true, "exif first");
  // A string tag pointing past the end ends OpenCV's parsing before the orientation.
  expect_same_as_opencv(with_app1(plain, exif_payload(false, 6, true)), true, "make out of range");
  expect_same_as_opencv(with_app1(plain, exif_payload(true, 8, true)), true, "make out of range MM");
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

// --- BMP: the kinds OpenCV read right (every kind: test_bmp_decode) ---------

bytes bmp_of(std::int32_t width, std::int32_t height, int bpp, std::uint32_t compression, std::uint32_t header_size,
             std::uint32_t colours_used, bool grey_palette, std::uint32_t seed) {
  std::mt19937 random(seed);
  auto put = [](bytes& b, std::uint32_t v, int n) {
    for (int i = 0; i < n; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  };
  const std::size_t entries = bpp == 8 ? (colours_used ? colours_used : 256) : 0;
  const std::uint32_t pitch = ((static_cast<std::uint32_t>(width) * bpp + 7) / 8 + 3) & ~3u;
  const std::uint32_t rows = static_cast<std::uint32_t>(height < 0 ? -height : height);
  // Bit fields after a 40-byte header: three masks (inside the later headers).
  const std::uint32_t masks_after = compression == 3 && header_size == 40 ? 12 : 0;
  const std::uint32_t offset = 14 + header_size + masks_after + static_cast<std::uint32_t>(entries * 4);
  bytes b = {'B', 'M'};
  put(b, offset + pitch * rows, 4);
  put(b, 0, 4);
  put(b, offset, 4);
  put(b, header_size, 4);
  put(b, static_cast<std::uint32_t>(width), 4);
  put(b, static_cast<std::uint32_t>(height), 4);
  put(b, 1, 2);
  put(b, static_cast<std::uint32_t>(bpp), 2);
  put(b, compression, 4);
  put(b, pitch * rows, 4);
  put(b, 2835, 4);
  put(b, 2835, 4);
  put(b, colours_used, 4);
  put(b, 0, 4);
  if (header_size >= 52) put(b, 0x00ff0000, 4), put(b, 0x0000ff00, 4), put(b, 0x000000ff, 4);
  if (header_size >= 56) put(b, 0xff000000, 4);
  while (b.size() < 14 + header_size) b.push_back(0);
  if (masks_after != 0) put(b, 0x00ff0000, 4), put(b, 0x0000ff00, 4), put(b, 0x000000ff, 4);
  for (std::size_t i = 0; i < entries; ++i) {
    const auto v = static_cast<std::uint8_t>(random());
    if (grey_palette) b.insert(b.end(), {v, v, v, 0});
    else b.insert(b.end(), {v, static_cast<std::uint8_t>(random()), static_cast<std::uint8_t>(random()), 0});
  }
  for (std::uint32_t i = 0; i < pitch * rows; ++i) b.push_back(static_cast<std::uint8_t>(random()));
  return b;
}

TEST(ImageDecodeParity, BmpPaletteRgbAndRgbaInEveryHeaderAndRowOrder) {
  std::uint32_t seed = 1;
  for (const std::int32_t height : {9, -9}) {
    for (const std::uint32_t header : {40u, 56u, 108u, 124u}) {
      for (const std::int32_t width : {1, 13, 16}) {
        const std::string at = " " + std::to_string(width) + "x" + std::to_string(height) + " header " + std::to_string(header);
        expect_same_as_opencv(bmp_of(width, height, 24, 0, header, 0, false, seed++), false, "24" + at);
        expect_same_as_opencv(bmp_of(width, height, 32, 0, header, 0, false, seed++), false, "32 BI_RGB" + at);
        // OpenCV read a 32-bit bit-field BMP as B, G, R, A bytes whatever the
        // masks; without an alpha mask (headers under 56 bytes here) the
        // fourth byte is no alpha.
        const auto opaque = [](reference_image& want) {
          for (packed_rgba& p : want.pixels) p |= 0xff000000u;
          want.has_alpha = false;
        };
        expect_same_as_opencv(bmp_of(width, height, 32, 3, header, 0, false, seed++), false, "32 BITFIELDS" + at,
                              header < 56 ? std::function<void(reference_image&)>(opaque) : nullptr);
        for (const std::uint32_t used : {0u, 16u, 256u})
          for (const bool grey : {false, true})
            expect_same_as_opencv(bmp_of(width, height, 8, 0, header, used, grey, seed++), false,
                                  "8 used " + std::to_string(used) + (grey ? " grey" : "") + at);
      }
    }
  }
  const cv::Mat bgr = noise_bgr(29, 11);
  cv::Mat gray;
  cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
  expect_same_as_opencv(encode(".bmp", bgr), false, "opencv bmp");
  expect_same_as_opencv(encode(".bmp", gray), false, "opencv grey bmp");
  // All of them read without the OpenCV module (no test before this one needs it either).
  std::ifstream maps("/proc/self/maps");
  const std::string mapped((std::istreambuf_iterator<char>(maps)), std::istreambuf_iterator<char>());
  EXPECT_EQ(mapped.find("kmq_opencv_decoder"), std::string::npos) << "the OpenCV module was loaded";
}

// --- WebP -------------------------------------------------------------------

TEST(ImageDecodeParity, WebpLossyAndLosslessWithAndWithoutAlpha) {
  const cv::Mat bgr = noise_bgr(41, 23);
  cv::Mat bgra;
  cv::cvtColor(bgr, bgra, cv::COLOR_BGR2BGRA);
  bgra.forEach<cv::Vec4b>([](cv::Vec4b& p, const int* at) { p[3] = static_cast<std::uint8_t>(at[1] * 11 + at[0]); });
  for (const int quality : {101, 90, 40}) {
    expect_same_as_opencv(encode(".webp", bgr, {cv::IMWRITE_WEBP_QUALITY, quality}), false,
                          "webp rgb q" + std::to_string(quality));
    expect_same_as_opencv(encode(".webp", bgra, {cv::IMWRITE_WEBP_QUALITY, quality}), false,
                          "webp rgba q" + std::to_string(quality));
  }
}

// --- errors: the library's complaint, nothing printed ----------------------

TEST(ImageDecodeParity, BrokenFilesGiveTheLibrarysReasonAndPrintNothing) {
  const bytes png = encode(".png", noise_bgr(64, 64));
  const bytes webp = encode(".webp", noise_bgr(64, 64), {cv::IMWRITE_WEBP_QUALITY, 101});
  bytes bad_crc = png;
  bad_crc[bad_crc.size() / 2] ^= 0xFF;
  const std::vector<std::pair<bytes, std::string>> cases = {
      {bytes(png.begin(), png.begin() + static_cast<std::ptrdiff_t>(png.size() / 2)), "cannot decode PNG (libpng: "},
      {bad_crc, "cannot decode PNG (libpng: "},
      {bytes(webp.begin(), webp.begin() + static_cast<std::ptrdiff_t>(webp.size() / 2)), "cannot decode WebP (libwebp: "},
  };
  ::testing::internal::CaptureStderr();
  for (const auto& [file, text] : cases) {
    try {
      image_decoder().decode_bytes(file, "broken");
      ADD_FAILURE() << "decoded, expected " << text;
    } catch (const error& e) {
      EXPECT_EQ(e.kind(), error_kind::bad_input);
      EXPECT_NE(e.describe().find(text), std::string::npos) << e.describe();
    }
  }
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

}  // namespace
}  // namespace kmq::io
