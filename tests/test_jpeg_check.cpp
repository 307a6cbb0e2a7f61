#include <gtest/gtest.h>

#include <string>

#include "image_fixtures.hpp"
#include "kmq/io/jpeg_check.hpp"

namespace kmq::io {
namespace {

using namespace kmq::io::testing;

// --- JPEG structure ---------------------------------------------------------

TEST(JpegStructure, AcceptsWhatLibjpegReadsWhole) {
  const bytes jpeg = encode(".jpg", noise_bgr(24, 24));
  EXPECT_EQ(jpeg_structure_problem(jpeg.data(), jpeg.size()), "");
  bytes trailer = jpeg;  // cameras append data after EOI
  trailer.insert(trailer.end(), {1, 2, 3, 0xFF, 0xD8});
  EXPECT_EQ(jpeg_structure_problem(trailer.data(), trailer.size()), "");
  bytes stray = jpeg;  // junk between segments, which libjpeg skips with a warning
  const std::size_t after_app0 = 4 + ((std::size_t{stray[4]} << 8) | stray[5]);
  stray.insert(stray.begin() + static_cast<std::ptrdiff_t>(after_app0), {0x12, 0x34, 0x56});
  EXPECT_EQ(jpeg_structure_problem(stray.data(), stray.size()), "");
  ::testing::internal::CaptureStderr();
  EXPECT_FALSE(cv::imdecode(stray, cv::IMREAD_COLOR).empty());
  EXPECT_NE(::testing::internal::GetCapturedStderr().find("extraneous bytes"), std::string::npos);
}

TEST(JpegStructure, AnEmbeddedThumbnailDoesNotHideATruncation) {
  const bytes thumbnail = encode(".jpg", noise_bgr(8, 8));
  const bytes main_image = encode(".jpg", noise_bgr(64, 64));
  // APP1 wrapping a whole JPEG, EOI and all, as Exif thumbnails do.
  bytes file = {0xFF, 0xD8, 0xFF, 0xE1};
  const std::size_t length = thumbnail.size() + 2;
  file.push_back(static_cast<std::uint8_t>(length >> 8));
  file.push_back(static_cast<std::uint8_t>(length & 255));
  file.insert(file.end(), thumbnail.begin(), thumbnail.end());
  file.insert(file.end(), main_image.begin() + 2, main_image.end());
  EXPECT_EQ(jpeg_structure_problem(file.data(), file.size()), "");
  file.resize(file.size() - main_image.size() / 3);
  EXPECT_EQ(jpeg_structure_problem(file.data(), file.size()), "truncated JPEG (ends inside scan data)");
}

TEST(JpegStructure, NamesWhatIsWrong) {
  const bytes jpeg = encode(".jpg", noise_bgr(24, 24));
  EXPECT_EQ(jpeg_structure_problem(jpeg.data(), 1), "not a JPEG (no start-of-image marker)");
  EXPECT_EQ(jpeg_structure_problem(jpeg.data(), 5), "truncated JPEG (ends inside a marker segment)");
  const bytes soi_eoi = {0xFF, 0xD8, 0xFF, 0xD9};
  EXPECT_NE(jpeg_structure_problem(soi_eoi.data(), soi_eoi.size()).find("no image data"), std::string::npos);
  bytes bad_length = jpeg;
  bad_length[4] = 0;
  bad_length[5] = 1;
  EXPECT_NE(jpeg_structure_problem(bad_length.data(), bad_length.size()).find("bad segment length"), std::string::npos);
}

}  // namespace
}  // namespace kmq::io
