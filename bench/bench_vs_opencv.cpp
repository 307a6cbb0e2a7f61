// kmq's CPU path against OpenCV's cv::kmeans on the same images, K and
// machine, in one run: times per stage, error (MSE per RGB channel) and the
// ratios. Writes a Markdown table and JSON.
//
//   bench_vs_opencv [--k 16,64] [--max-iter 100] [--restarts N] [--opencv-max-iter N]
//                   [--out results/bench_cpu_vs_opencv] IMAGE...
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/core/utility.hpp>

#include "kmq/io/image_decoder.hpp"
#include "kmq/backend_select.hpp"
#include "kmq/metrics.hpp"
#include "kmq/quantize.hpp"
#include "kmq/remap.hpp"
#include "kmq/stopwatch.hpp"
#include "machine_info.hpp"

namespace {

struct options {
  std::vector<int> ks = {16, 64};
  int max_iter = 100;
  int opencv_max_iter = 100;
  int restarts = 0;  // 0: kmq compress's default (--restarts auto)
  std::string out = "results/bench_cpu_vs_opencv";
  std::vector<std::string> images;
};

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--k") {
      o.ks.clear();
      std::stringstream list(next());
      for (std::string item; std::getline(list, item, ',');) o.ks.push_back(std::stoi(item));
    } else if (a == "--max-iter") {
      o.max_iter = std::stoi(next());
    } else if (a == "--restarts") {
      o.restarts = std::stoi(next());
    } else if (a == "--opencv-max-iter") {
      o.opencv_max_iter = std::stoi(next());
    } else if (a == "--out") {
      o.out = next();
    } else {
      o.images.push_back(a);
    }
  }
  if (o.images.empty()) throw std::runtime_error("usage: bench_vs_opencv [--k 16,64] [--out PREFIX] IMAGE...");
  return o;
}

struct opencv_run {
  double seconds = 0, mse = 0;
};

// cv::kmeans on every pixel (RGB as float), k-means++ seeding, one attempt,
// stopping on iterations or a centre shift below 1e-4 (its epsilon).
opencv_run run_opencv(const std::vector<kmq::packed_rgba>& pixels, int k, int max_iter) {
  cv::Mat samples(static_cast<int>(pixels.size()), 3, CV_32F);
  for (std::size_t i = 0; i < pixels.size(); ++i) {
    for (int c = 0; c < 3; ++c) samples.at<float>(static_cast<int>(i), c) = static_cast<float>(kmq::channel_of(pixels[i], c));
  }
  cv::Mat labels, centers;
  cv::setRNGSeed(0);
  kmq::detail::stopwatch clock;
  cv::kmeans(samples, k, labels, cv::TermCriteria(cv::TermCriteria::COUNT | cv::TermCriteria::EPS, max_iter, 1e-4), 1,
             cv::KMEANS_PP_CENTERS, centers);
  opencv_run run;
  run.seconds = clock.seconds();
  double total = 0;
  for (std::size_t i = 0; i < pixels.size(); ++i) {
    const int j = labels.at<int>(static_cast<int>(i));
    for (int c = 0; c < 3; ++c) {
      // Palette entries are bytes: round the float centre as a PNG would store it.
      const double centre = std::round(std::clamp(centers.at<float>(j, c), 0.0f, 255.0f));
      const double d = kmq::channel_of(pixels[i], c) - centre;
      total += d * d;
    }
  }
  run.mse = total / (3.0 * static_cast<double>(pixels.size()));
  return run;
}

}  // namespace

int main(int argc, char** argv) try {
  const options o = parse(argc, argv);
  auto engine = kmq::make_cpu_backend(0);
  nlohmann::json rows = nlohmann::json::array();
  std::ostringstream table;
  table << "| image | size | K | kmq s (hist / seed / iterate / refine / map) | kmq iters (seedings) | kmq MSE | cv::kmeans s | cv MSE | speed-up | MSE kmq/cv |\n"
        << "|---|---|---|---|---|---|---|---|---|---|\n";
  for (const std::string& path : o.images) {
    kmq::io::decoded_image image = kmq::io::image_decoder(kmq::io::decode_limits{1ull << 30}).decode_file(path);
    kmq::collapse_transparent(image.pixels.data(), image.pixels.size());
    const std::string name = path.substr(path.find_last_of('/') + 1);
    for (int k : o.ks) {
      kmq::quantize_options q;
      q.kmeans.k = k;
      q.kmeans.max_iter = o.max_iter;
      q.kmeans.restarts = o.restarts;  // 0: automatic, for the image
      kmq::detail::stopwatch clock;
      const kmq::quantize_result r = kmq::quantize(image.view(), q, *engine);
      const kmq::detail::stopwatch mapping;
      const kmq::label_map labels = kmq::remap(image.view(), r, kmq::remap_options{}, *engine);
      const double map_seconds = r.palette_seconds + mapping.seconds();
      const double kmq_seconds = clock.seconds();
      const kmq::image_metrics m = kmq::measure_quantization(image.pixels.data(), labels.indices.data(), r.palette, image.width, image.height);
      const opencv_run cv_run = run_opencv(image.pixels, k, o.opencv_max_iter);
      char line[512];
      std::snprintf(line, sizeof line, "| %s | %ux%u | %d | %.3f (%.3f / %.3f / %.3f / %.3f / %.3f) | %d (%d) | %.2f | %.3f | %.2f | %.1fx | %.3f |\n",
                    name.c_str(), image.width, image.height, k, kmq_seconds, r.histogram_seconds, r.seed_seconds,
                    r.iterate_seconds, r.refine_seconds, map_seconds, r.iterations, r.restarts, m.mse, cv_run.seconds, cv_run.mse,
                    cv_run.seconds / kmq_seconds, m.mse / cv_run.mse);
      table << line;
      std::cout << line << std::flush;
      rows.push_back({{"image", name}, {"width", image.width}, {"height", image.height}, {"k", k},
                      {"distinct_colors", r.distinct_colors}, {"kmq_seconds", kmq_seconds},
                      {"kmq_stage_seconds", {{"histogram", r.histogram_seconds}, {"seed", r.seed_seconds},
                                             {"iterate", r.iterate_seconds}, {"refine", r.refine_seconds}, {"map", map_seconds}}},
                      {"kmq_iterations", r.iterations}, {"kmq_restarts", r.restarts}, {"kmq_mse", m.mse}, {"opencv_seconds", cv_run.seconds},
                      {"opencv_mse", cv_run.mse}, {"speedup", cv_run.seconds / kmq_seconds},
                      {"mse_ratio", m.mse / cv_run.mse}});
    }
  }
  const std::string machine = kmq::bench::machine_description();
  std::ofstream md(o.out + ".md");
  md << "# kmq CPU vs OpenCV cv::kmeans\n\n" << machine << "\n\n"
     << "Both on every pixel's colour. kmq as `kmq compress` clusters (k-means++ seedings, Lloyd, then the refinement: "
        "Hartigan's method and the swap step), " << engine->device()
     << ", max-iter " << o.max_iter << ", tol 1e-4 (relative WCSS gain), best of "
     << (o.restarts > 0 ? std::to_string(o.restarts) : std::string("kmq compress's --restarts auto"))
     << "; cv::kmeans: k-means++ seeding, one attempt, max-iter " << o.opencv_max_iter
     << ", epsilon 1e-4 (centre shift), OpenCV " << CV_VERSION << " with " << cv::getNumThreads()
     << " threads. MSE per RGB channel of the image as written (centres rounded to bytes). Speed-up = cv time / kmq time.\n\n"
     << table.str();
  std::ofstream(o.out + ".json") << nlohmann::json{{"machine", machine}, {"rows", rows}}.dump(2) << '\n';
  std::cout << "wrote " << o.out << ".md and .json\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << "bench_vs_opencv: " << e.what() << '\n';
  return 1;
}
