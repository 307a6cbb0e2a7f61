// Makes a directory of small inputs for kmq batch benchmarks: every sample
// image as it is, plus COUNT crops of WxH at deterministic places of them,
// alternately PNG and JPEG (quality 90). Built by bench/batch_throughput.sh.
//   batch_crops SAMPLE_DIR OUT_DIR COUNT W H
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>

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
  fs::create_directories(out / "crops");
  std::vector<cv::Mat> images;
  for (const fs::path& f : files) {
    fs::copy_file(f, out / f.filename(), fs::copy_options::overwrite_existing);
    images.push_back(cv::imread(f.string(), cv::IMREAD_COLOR));
  }
  for (int i = 0; i < count; ++i) {
    const cv::Mat& image = images[static_cast<std::size_t>(i) % images.size()];
    const int x = (i * 7919) % std::max(1, image.cols - w), y = (i * 104729) % std::max(1, image.rows - h);
    const cv::Mat crop = image(cv::Rect(x, y, std::min(w, image.cols), std::min(h, image.rows)));
    char name[64];
    std::snprintf(name, sizeof name, "crops/crop-%03d.%s", i, i % 2 ? "jpg" : "png");
    cv::imwrite((out / name).string(), crop, {cv::IMWRITE_JPEG_QUALITY, 90});
  }
  return 0;
}
