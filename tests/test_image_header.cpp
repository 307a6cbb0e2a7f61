#include <gtest/gtest.h>

#include <string>

#include "image_fixtures.hpp"
#include "kmq/io/image_header.hpp"

namespace kmq::io {
namespace {

using namespace kmq::io::testing;

// --- header sniffing without decoding ---------------------------------------

TEST(ImageHeader, EveryFormatGivesItsStoredSize) {
  cv::Mat mat(45, 123, CV_8UC3, cv::Scalar(1, 2, 3));
  const std::vector<std::pair<const char*, image_format>> cases = {{".png", image_format::png},
                                                                   {".jpg", image_format::jpeg},
                                                                   {".bmp", image_format::bmp},
                                                                   {".tiff", image_format::tiff},
                                                                   {".webp", image_format::webp}};
  for (const auto& [ext, format] : cases) {
    for (int quality : {80, 101}) {  // WebP: lossy (VP8) and lossless (VP8L)
      SCOPED_TRACE(std::string(ext) + " " + std::to_string(quality));
      const bytes file = encode(ext, mat, {cv::IMWRITE_WEBP_QUALITY, quality});
      const image_header header = sniff_image_header(file.data(), file.size());
      EXPECT_EQ(header.format, format);
      EXPECT_TRUE(header.has_dimensions);
      EXPECT_EQ(header.width, 123u);
      EXPECT_EQ(header.height, 45u);
    }
  }
}

TEST(ImageHeader, CutShortHeadersHaveNoDimensions) {
  const bytes png = png_claiming(7, 9);
  for (std::size_t n = 0; n < 24; ++n) EXPECT_FALSE(sniff_image_header(png.data(), n).has_dimensions) << n;
  EXPECT_TRUE(sniff_image_header(png.data(), 24).has_dimensions);
  EXPECT_EQ(sniff_image_header(nullptr, 0).format, image_format::unknown);
}

}  // namespace
}  // namespace kmq::io
