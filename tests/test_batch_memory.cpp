// kmq batch keeps at most --jobs images in flight, so its peak memory is
// bounded by its largest images, not by the size of the collection. Twelve
// 4096x4096 PNGs (gradients and noise, about 2.3 M distinct colours each,
// made at test time) through `kmq batch --jobs 2`: the child's peak RSS
// (wait4) must stay below the README's bound, fixed + the sum over the
// `jobs` largest images of (bytes per pixel x pixels + bytes per distinct
// colour x distinct colours), which is far below what twelve images at once
// would take. And an image one pixel high and a million wide, whose bound is
// its pixels' (the SSIM's column sums once took 125 B a column a thread).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <functional>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "child_process.hpp"

namespace fs = std::filesystem;

namespace {

// The README's bound ("Workers and memory"): keep the three numbers in step with it.
constexpr std::uint64_t fixed_bytes = 64ull << 20;  // the binary, its libraries, the list, the workers
constexpr std::uint64_t bytes_per_pixel = 9;        // one image in flight: pixels, label map, PNG, ...
constexpr std::uint64_t bytes_per_colour = 80;      // ... and its colour histogram, seeding and clustering

constexpr int side = 4096, images = 12, jobs = 2;

struct peak_run {
  int code = -1;
  std::uint64_t max_rss_bytes = 0;
};

// Runs kmq with args; its own peak resident set from wait4's rusage (ru_maxrss, KiB).
peak_run run_measured(const std::vector<std::string>& args, const fs::path& log) {
  std::vector<std::string> argv = {KMQ_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  kmq::testing::child_options child;
  child.stdout_path = child.stderr_path = log.string();
  const kmq::testing::child_end end = kmq::testing::wait_child(kmq::testing::start_child(argv, child));
  peak_run r;
  r.code = end.code;
  r.max_rss_bytes = static_cast<std::uint64_t>(end.usage.ru_maxrss) * 1024;
  return r;
}

// Gradients in two channels and noise in all three: many distinct colours, a PNG that
// does not compress away, and every image different.
void write_large_image(const fs::path& file, int seed) {
  cv::Mat noise(side, side, CV_8UC3);
  cv::theRNG().state = static_cast<std::uint64_t>(seed) * 7919 + 1;
  cv::randu(noise, 0, 24);
  cv::Mat image(side, side, CV_8UC3);
  for (int y = 0; y < side; ++y) {
    auto* row = image.ptr<cv::Vec3b>(y);
    const auto* n = noise.ptr<cv::Vec3b>(y);
    for (int x = 0; x < side; ++x) {
      row[x] = cv::Vec3b(static_cast<uchar>((x / 18 + seed * 29) % 232 + n[x][0]),
                         static_cast<uchar>((y / 18 + seed * 13) % 232 + n[x][1]),
                         static_cast<uchar>(((x + y) / 36 + seed * 41) % 232 + n[x][2]));
    }
  }
  ASSERT_TRUE(cv::imwrite(file.string(), image, {cv::IMWRITE_PNG_COMPRESSION, 1})) << file;
}

TEST(BatchMemory, PeakStaysBelowTheBoundForImagesInFlight) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer's shadow memory and quarantine, not kmq's buffers, decide the peak in this build";
#endif
  const fs::path dir = fs::temp_directory_path() / ("kmq-batch-memory-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "src");
  for (int i = 0; i < images; ++i) write_large_image(dir / "src" / ("large-" + std::to_string(i) + ".png"), i);
  if (HasFatalFailure()) return fs::remove_all(dir), void();

  // Little clustering: memory is what is measured, not the palette's quality.
  const peak_run r = run_measured({"batch", (dir / "src").string(), "-d", (dir / "out").string(), "--jobs",
                                   std::to_string(jobs), "--threads", "1", "--backend", "cpu", "-k", "8",
                                   "--restarts", "1", "--max-iter", "2", "--png-level", "1", "--progress", "none", "--manifest", (dir / "m.jsonl").string()},
                                  dir / "log.txt");
  // Each image's share of the bound, from its manifest line (distinct colours as kmq counted them).
  std::vector<std::uint64_t> shares;
  std::ifstream manifest(dir / "m.jsonl");
  for (std::string line; std::getline(manifest, line);) {
    const nlohmann::json j = nlohmann::json::parse(line);
    const std::uint64_t pixels = j.at("width").get<std::uint64_t>() * j.at("height").get<std::uint64_t>();
    shares.push_back(bytes_per_pixel * pixels + bytes_per_colour * j.at("distinct_colors").get<std::uint64_t>());
  }
  std::sort(shares.begin(), shares.end(), std::greater<>());
  std::uint64_t bound = fixed_bytes, all_at_once = fixed_bytes;
  for (std::size_t i = 0; i < shares.size(); ++i) {
    if (i < static_cast<std::size_t>(jobs)) bound += shares[i];
    all_at_once += shares[i];
  }
  std::uint64_t written = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir / "out", ec)) written += entry.is_regular_file();
  std::string log;
  if (FILE* f = std::fopen((dir / "log.txt").c_str(), "r")) {
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, f)) > 0;) log.append(buffer, n);
    std::fclose(f);
  }
  fs::remove_all(dir);

  ASSERT_EQ(r.code, 0) << log;
  EXPECT_EQ(written, static_cast<std::uint64_t>(images));
  ASSERT_EQ(shares.size(), static_cast<std::size_t>(images));
  RecordProperty("peak_rss_mib", std::to_string(r.max_rss_bytes >> 20));
  RecordProperty("bound_mib", std::to_string(bound >> 20));
  std::printf("peak RSS %llu MiB for %d images of %dx%d with --jobs %d; bound %llu MiB; all at once would be ~%llu MiB\n",
              static_cast<unsigned long long>(r.max_rss_bytes >> 20), images, side, side, jobs,
              static_cast<unsigned long long>(bound >> 20), static_cast<unsigned long long>(all_at_once >> 20));
  EXPECT_LT(r.max_rss_bytes, bound);
  EXPECT_LT(bound, all_at_once / 3);  // the check can tell bounded from unbounded
}

TEST(BatchMemory, AVeryWideImageStaysBelowItsPixelsBound) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer's shadow memory and quarantine, not kmq's buffers, decide the peak in this build";
#endif
  const fs::path dir = fs::temp_directory_path() / ("kmq-wide-memory-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  constexpr int width = 1000000;  // libpng's default limit for writing
  cv::Mat strip(1, width, CV_8UC3);
  for (int x = 0; x < width; ++x) strip.at<cv::Vec3b>(0, x) = cv::Vec3b(static_cast<uchar>(x % 7 * 36), static_cast<uchar>(x % 5 * 50), 9);
  ASSERT_TRUE(cv::imwrite((dir / "strip.png").string(), strip));
  const peak_run r = run_measured({"compress", (dir / "strip.png").string(), "-o", (dir / "out.png").string(), "-k", "8",
                                   "--threads", "2", "--backend", "cpu"},
                                  dir / "log.txt");
  fs::remove_all(dir);
  ASSERT_EQ(r.code, 0);
  const std::uint64_t bound = fixed_bytes + bytes_per_pixel * width + bytes_per_colour * 35;
  std::printf("peak RSS %llu MiB for a %dx1 image; bound %llu MiB\n", static_cast<unsigned long long>(r.max_rss_bytes >> 20), width,
              static_cast<unsigned long long>(bound >> 20));
  EXPECT_LT(r.max_rss_bytes, bound);
}

}  // namespace
