// Makes a benchmark set for bench/batch_throughput.sh: COUNT distinct PNG
// images of WxH cut from the sample photos (sample i mod n, scaled to cover
// WxH by a factor that grows with i / n, cut at a place that depends on i,
// mirrored every other round). PNG so that pngquant, which reads only PNG,
// gets the very same files as kmq. OpenCV's default PNG level (fast).
//   batch_crops SAMPLE_DIR OUT_DIR COUNT W H
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: batch_crops SAMPLE_DIR OUT_DIR COUNT W H\n");
    return 64;
  }
  const fs::path samples = argv[1], out = argv[2];
  const int count = std::atoi(argv[3]), w = std::atoi(argv[4]), h = std::atoi(argv[5]);
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(samples)) {
    const std::string ext = e.path().extension().string();
    if (ext == ".png" || ext == ".jpg") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<cv::Mat> images;
  for (const fs::path& f : files) images.push_back(cv::imread(f.string(), cv::IMREAD_COLOR));
  const int n = static_cast<int>(images.size());
  fs::create_directories(out);
  for (int i = 0; i < count; ++i) {
    const cv::Mat& image = images[static_cast<std::size_t>(i % n)];
    const int round = i / n;
    // Small crops come from the photo as it is; large ones from a copy scaled to cover WxH.
    const double cover = std::max(static_cast<double>(w) / image.cols, static_cast<double>(h) / image.rows);
    const double scale = cover < 0.25 ? 1.0 : cover * (1.0 + 0.07 * (round % 6));
    cv::Mat scaled;
    if (scale == 1.0) scaled = image;
    else cv::resize(image, scaled, cv::Size(), scale, scale, scale > 1 ? cv::INTER_CUBIC : cv::INTER_AREA);
    const int x = static_cast<int>((static_cast<long long>(i) * 7919) % std::max(1, scaled.cols - w + 1));
    const int y = static_cast<int>((static_cast<long long>(i) * 104729) % std::max(1, scaled.rows - h + 1));
    cv::Mat crop = scaled(cv::Rect(x, y, std::min(w, scaled.cols), std::min(h, scaled.rows))).clone();
    if (round % 2) cv::flip(crop, crop, 1);
    char name[64];
    std::snprintf(name, sizeof name, "img-%05d.png", i);
    if (!cv::imwrite((out / name).string(), crop)) {
      std::fprintf(stderr, "batch_crops: cannot write %s\n", (out / name).c_str());
      return 73;
    }
  }
  return 0;
}
