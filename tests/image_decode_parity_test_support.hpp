// What the test_image_decode_parity*.cpp files share: the pixels OpenCV gave
// before kmq_io decoded files itself (cv::imdecode, IMREAD_COLOR for JPEG and
// IMREAD_UNCHANGED otherwise, 16 bits rounded to 8 as (v * 255 + 32767) / 65535),
// and the check that kmq_io's decoders give exactly those.
#pragma once
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "image_fixtures.hpp"
#include "kmq/io/image_decoder.hpp"

namespace kmq::io::testing {

struct reference_image {
  std::uint32_t width = 0, height = 0;
  std::vector<packed_rgba> pixels;
  bool has_alpha = false;
};

inline std::uint32_t to8(std::uint8_t v) { return v; }
inline std::uint32_t to8(std::uint16_t v) { return (std::uint32_t{v} * 255u + 32767u) / 65535u; }

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
inline reference_image opencv_reference(const bytes& file, bool jpeg) {
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
inline void expect_same_as_opencv(const bytes& file, bool jpeg, const std::string& name,
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

}  // namespace kmq::io::testing
