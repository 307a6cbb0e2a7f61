// Image files made in memory for the image I/O tests: encoded by OpenCV, or
// crafted byte by byte where OpenCV cannot make them.
#pragma once
#include <zlib.h>

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

namespace kmq::io::testing {

using bytes = std::vector<std::uint8_t>;

inline bytes encode(const std::string& ext, const cv::Mat& mat, const std::vector<int>& params = {}) {
  bytes out;
  EXPECT_TRUE(cv::imencode(ext, mat, out, params)) << ext;
  return out;
}

// A noisy BGR image: compresses badly, so cutting it anywhere cuts real data.
inline cv::Mat noise_bgr(int width, int height) {
  cv::Mat mat(height, width, CV_8UC3);
  cv::randu(mat, cv::Scalar::all(0), cv::Scalar::all(256));
  return mat;
}

inline void put_be32(bytes& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

inline void put_png_chunk(bytes& out, const char* type, const bytes& data) {
  put_be32(out, static_cast<std::uint32_t>(data.size()));
  const std::size_t type_at = out.size();
  out.insert(out.end(), type, type + 4);
  out.insert(out.end(), data.begin(), data.end());
  put_be32(out, static_cast<std::uint32_t>(::crc32(0, &out[type_at], static_cast<uInt>(4 + data.size()))));
}

// A well-formed PNG start (signature, IHDR with a correct CRC, a tiny IDAT)
// whose header claims width x height RGBA pixels.
inline bytes png_claiming(std::uint32_t width, std::uint32_t height) {
  bytes png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  bytes ihdr;
  put_be32(ihdr, width);
  put_be32(ihdr, height);
  ihdr.insert(ihdr.end(), {8, 6, 0, 0, 0});
  put_png_chunk(png, "IHDR", ihdr);
  put_png_chunk(png, "IDAT", {0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01});
  put_png_chunk(png, "IEND", {});
  return png;
}

// Inserts an APP1 Exif segment carrying only Orientation after SOI/APP0.
inline bytes with_exif_orientation(bytes jpeg, std::uint16_t orientation) {
  // clang-format off
  const bytes app1 = {0xFF, 0xE1, 0, 34, 'E', 'x', 'i', 'f', 0, 0,
                      'I', 'I', 42, 0, 8, 0, 0, 0,                      // TIFF header, IFD at 8
                      1, 0,                                             // one entry
                      0x12, 0x01, 3, 0, 1, 0, 0, 0,                     // Orientation, SHORT, count 1
                      static_cast<std::uint8_t>(orientation), 0, 0, 0,  // its value
                      0, 0, 0, 0};                                      // no next IFD
  // clang-format on
  std::size_t at = 2;
  if (jpeg[2] == 0xFF && jpeg[3] == 0xE0) at = 4 + ((std::size_t{jpeg[4]} << 8) | jpeg[5]);
  jpeg.insert(jpeg.begin() + static_cast<std::ptrdiff_t>(at), app1.begin(), app1.end());
  return jpeg;
}

}  // namespace kmq::io::testing
