// Palette and label files: GIMP .gpl and JSON read back to the same colours,
// the swatch strip shows each entry once (most used first), and the false-
// colour label map has one colour per cluster and the label map's partition.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "kmq/cpu_backend.hpp"
#include "kmq/error.hpp"
#include "kmq/pipeline/palette_files.hpp"
#include "kmq/pipeline/run_job.hpp"
#include "kmq/random.hpp"

namespace kmq {
namespace {

const std::vector<packed_rgba> palette{pack_rgba(255, 0, 0, 255), pack_rgba(0, 128, 255, 255),
                                       pack_rgba(17, 34, 51, 255), pack_rgba(200, 200, 10, 128)};
const std::vector<std::uint64_t> usage{10, 60, 0, 30};

// RGBA from an image OpenCV read with IMREAD_UNCHANGED (BGR or BGRA).
packed_rgba pixel_at(const cv::Mat& image, int x, int y) {
  if (image.channels() == 4) {
    const cv::Vec4b v = image.at<cv::Vec4b>(y, x);
    return pack_rgba(v[2], v[1], v[0], v[3]);
  }
  const cv::Vec3b v = image.at<cv::Vec3b>(y, x);
  return pack_rgba(v[2], v[1], v[0], 255);
}

cv::Mat decode(const std::vector<std::uint8_t>& png) {
  return cv::imdecode(cv::Mat(1, static_cast<int>(png.size()), CV_8U, const_cast<std::uint8_t*>(png.data())),
                      cv::IMREAD_UNCHANGED);
}

std::string sample(const std::string& name) {
  const char* root = std::getenv("KMQ_SOURCE_DIR");
  return std::string(root ? root : ".") + "/sample_images/" + name;
}

TEST(PaletteFiles, GimpPaletteReadsBackAsGimpReadsIt) {
  const std::string gpl = palette_gpl(palette, usage, "fruits\nK=16");
  std::istringstream in(gpl);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "GIMP Palette");
  std::getline(in, line);
  EXPECT_EQ(line, "Name: fruits K=16");  // one line, whatever the name holds
  std::getline(in, line);
  EXPECT_EQ(line, "Columns: 8");
  std::vector<packed_rgba> read;
  std::vector<std::string> names;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;  // GIMP's comments
    unsigned r = 0, g = 0, b = 0;
    int consumed = 0;
    ASSERT_EQ(std::sscanf(line.c_str(), "%u %u %u%n", &r, &g, &b, &consumed), 3) << line;
    ASSERT_EQ(line[static_cast<std::size_t>(consumed)], '\t') << line;
    read.push_back(pack_rgba(r, g, b, 255));
    names.push_back(line.substr(static_cast<std::size_t>(consumed) + 1));
  }
  ASSERT_EQ(read.size(), palette.size());
  for (std::size_t i = 0; i < palette.size(); ++i) EXPECT_EQ(read[i], palette[i] | 0xff000000u) << i;
  EXPECT_EQ(names[0], "#ff0000 a=255 10.00%");
  EXPECT_EQ(names[1], "#0080ff a=255 60.00%");
  EXPECT_EQ(names[2], "#112233 a=255 0.00%");
  EXPECT_EQ(names[3], "#c8c80a a=128 30.00%");
}

TEST(PaletteFiles, JsonParsesAndMatches) {
  const nlohmann::json j = nlohmann::json::parse(palette_json(palette, usage));
  EXPECT_EQ(j.at("total_pixels").get<std::uint64_t>(), 100u);
  const auto& colours = j.at("colors");
  ASSERT_EQ(colours.size(), palette.size());
  double shares = 0;
  for (std::size_t i = 0; i < palette.size(); ++i) {
    const auto& c = colours[i];
    EXPECT_EQ(c.at("index").get<std::size_t>(), i);
    const auto rgba = c.at("rgba").get<std::vector<unsigned>>();
    ASSERT_EQ(rgba.size(), 4u);
    EXPECT_EQ(pack_rgba(rgba[0], rgba[1], rgba[2], rgba[3]), palette[i]);
    char hex[8];
    std::snprintf(hex, sizeof hex, "#%02x%02x%02x", rgba[0], rgba[1], rgba[2]);
    EXPECT_EQ(c.at("hex").get<std::string>(), hex);
    EXPECT_EQ(c.at("pixels").get<std::uint64_t>(), usage[i]);
    EXPECT_DOUBLE_EQ(c.at("share").get<double>(), static_cast<double>(usage[i]) / 100.0);
    shares += c.at("share").get<double>();
  }
  EXPECT_NEAR(shares, 1.0, 1e-12);
}

TEST(PaletteFiles, SwatchStripShowsEachEntryMostUsedFirst) {
  const cv::Mat strip = decode(palette_swatch_png(palette, usage));
  ASSERT_FALSE(strip.empty());
  ASSERT_EQ(strip.rows, 32);
  ASSERT_EQ(strip.cols, 32 * 4);
  ASSERT_EQ(strip.channels(), 4);  // one entry is translucent
  const std::size_t order[] = {1, 3, 0, 2};  // usage 60, 30, 10, 0
  for (int square = 0; square < 4; ++square) {
    for (const auto& [dx, dy] : {std::pair<int, int>{0, 0}, {31, 31}, {16, 5}})
      EXPECT_EQ(pixel_at(strip, square * 32 + dx, dy), palette[order[square]]) << square;
  }
}

TEST(PaletteFiles, FalseColoursAreFixedAndAllDistinct) {
  std::set<packed_rgba> seen;
  for (std::size_t i = 0; i < 256; ++i) {
    const packed_rgba c = false_colour(i);
    EXPECT_EQ(alpha_of(c), 255u);
    EXPECT_TRUE(seen.insert(c).second) << "false colour " << i << " repeats";
  }
  EXPECT_EQ(false_colour(0), pack_rgba(0xe6, 0x19, 0x4b, 255));
  EXPECT_EQ(false_colour(3), pack_rgba(0x43, 0x63, 0xd8, 255));
  // Well separated: no two of the first 64 closer than 40 apart in RGB.
  for (std::size_t i = 0; i < 64; ++i)
    for (std::size_t j = 0; j < i; ++j) EXPECT_GE(squared_distance(false_colour(i), false_colour(j)), 40u * 40u) << i << " " << j;
}

void expect_same_partition(const label_map& labels, std::size_t palette_size) {
  const cv::Mat image = decode(labels_false_colour_png(labels, palette_size));
  ASSERT_FALSE(image.empty());
  ASSERT_EQ(static_cast<std::uint32_t>(image.cols), labels.width);
  ASSERT_EQ(static_cast<std::uint32_t>(image.rows), labels.height);
  std::map<std::uint8_t, packed_rgba> colour_of;
  std::map<packed_rgba, std::uint8_t> label_of;
  for (std::uint32_t y = 0; y < labels.height; ++y) {
    for (std::uint32_t x = 0; x < labels.width; ++x) {
      const std::uint8_t label = labels.indices[std::size_t{y} * labels.width + x];
      const packed_rgba c = pixel_at(image, static_cast<int>(x), static_cast<int>(y));
      ASSERT_EQ(c, false_colour(label)) << x << "," << y;
      // A function both ways: one colour per cluster, one cluster per colour.
      ASSERT_EQ(colour_of.emplace(label, c).first->second, c);
      ASSERT_EQ(label_of.emplace(c, label).first->second, label);
    }
  }
  EXPECT_EQ(colour_of.size(), label_of.size());
  std::set<std::uint8_t> used(labels.indices.begin(), labels.indices.end());
  EXPECT_EQ(label_of.size(), used.size());  // exactly one colour per cluster used
}

TEST(PaletteFiles, LabelsPngHasOneColourPerClusterAndTheSamePartition) {
  label_map labels;
  labels.width = 67;
  labels.height = 41;
  seeded_random random(7);
  for (std::size_t i = 0; i < std::size_t{labels.width} * labels.height; ++i)
    labels.indices.push_back(static_cast<std::uint8_t>(random.below(7) * 2));  // 7 of 14 entries used
  expect_same_partition(labels, 14);
}

TEST(PaletteFiles, LabelsPngOfARealJobKeepsItsPartition) {
  image_job job;
  job.input = sample("fruits.jpg");
  job.keep_decoded = true;
  job.quantize.kmeans.k = 16;
  const job_outcome outcome = run_job(job, *make_cpu_backend(2));
  expect_same_partition(outcome.labels, outcome.quantized.palette.size());
  // And the swatch strip of that palette, in order of its usage.
  const cv::Mat strip = decode(palette_swatch_png(outcome.quantized.palette, outcome.quantized.usage));
  ASSERT_EQ(strip.cols, 32 * static_cast<int>(outcome.quantized.palette.size()));
  std::uint64_t previous = ~std::uint64_t{0};
  for (int square = 0; square < strip.cols / 32; ++square) {
    const packed_rgba c = pixel_at(strip, square * 32 + 16, 16);
    const auto at = std::find(outcome.quantized.palette.begin(), outcome.quantized.palette.end(), c);
    ASSERT_NE(at, outcome.quantized.palette.end());
    const std::uint64_t used = outcome.quantized.usage[static_cast<std::size_t>(at - outcome.quantized.palette.begin())];
    EXPECT_LE(used, previous);
    previous = used;
  }
}

TEST(PaletteFiles, RefusesPalettesOutsideOneTo256) {
  label_map labels{2, 1, {0, 1}};
  EXPECT_THROW(labels_false_colour_png(labels, 0), error);
  EXPECT_THROW(labels_false_colour_png(labels, 257), error);
  EXPECT_THROW(labels_false_colour_png(labels, 1), error);  // index 1 outside a palette of 1
  EXPECT_THROW(palette_swatch_png({}, {}), error);
  EXPECT_THROW(palette_swatch_png(std::vector<packed_rgba>(257), std::vector<std::uint64_t>(257)), error);
}

}  // namespace
}  // namespace kmq
