// kmq's CPU path against OpenCV's cv::kmeans on the same images, K and
// machine, in one run: times per stage, error (MSE per RGB channel), each
// side's peak memory (every side a process of its own) and the ratios. Writes
// a Markdown table, JSON and an SVG plot.
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
#include "bar_chart.hpp"
#include "child_process.hpp"
#include "machine_info.hpp"

namespace {

struct options {
  std::vector<int> ks = {16, 64};
  int max_iter = 100;
  int opencv_max_iter = 100;
  int restarts = 0;  // 0: kmq compress's default (--restarts auto)
  std::string out = "results/bench_cpu_vs_opencv";
  std::string side;  // set: run that one side (a child of the harness)
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
    } else if (a == "--side") {
      o.side = next();
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

// One side of one case, in a process of its own (so that its peak memory is
// its own): decodes the image, runs the side and prints its figures as JSON.
// "decode" only decodes: the memory both sides start from.
nlohmann::json run_side(const options& o, const std::string& side, int k, const std::string& path) {
  kmq::io::decoded_image image = kmq::io::image_decoder(kmq::io::decode_limits{1ull << 30}).decode_file(path);
  kmq::collapse_transparent(image.pixels.data(), image.pixels.size());
  nlohmann::json out{{"width", image.width}, {"height", image.height}};
  if (side == "opencv") {
    const opencv_run cv_run = run_opencv(image.pixels, k, o.opencv_max_iter);
    out["seconds"] = cv_run.seconds;
    out["mse"] = cv_run.mse;
    out["threads"] = cv::getNumThreads();
  } else if (side == "kmq") {
    auto engine = kmq::make_cpu_backend(0);
    kmq::quantize_options q;
    q.kmeans.k = k;
    q.kmeans.max_iter = o.max_iter;
    q.kmeans.restarts = o.restarts;  // 0: automatic, for the image
    kmq::detail::stopwatch clock;
    const kmq::quantize_result r = kmq::quantize(image.view(), q, *engine);
    const kmq::detail::stopwatch mapping;
    const kmq::label_map labels = kmq::remap(image.view(), r, kmq::remap_options{}, *engine);
    const double map_seconds = r.palette_seconds + mapping.seconds();
    out["seconds"] = clock.seconds();
    out["device"] = engine->device();
    const kmq::image_metrics m = kmq::measure_quantization(image.pixels.data(), labels.indices.data(), r.palette, image.width, image.height);
    out["mse"] = m.mse;
    out["distinct_colors"] = r.distinct_colors;
    out["iterations"] = r.iterations;
    out["restarts"] = r.restarts;
    out["stage_seconds"] = {{"histogram", r.histogram_seconds}, {"seed", r.seed_seconds},
                            {"iterate", r.iterate_seconds}, {"refine", r.refine_seconds}, {"map", map_seconds}};
  } else if (side != "decode") {
    throw std::runtime_error("--side is kmq, opencv or decode, not " + side);
  }
  out["peak_kib"] = kmq::bench::own_peak_kib();
  return out;
}

// Runs one side as a child of this program; its JSON with "peak_mib" added.
nlohmann::json run_child_side(const options& o, const std::string& side, int k, const std::string& path) {
  const kmq::bench::child_run run = kmq::bench::run_child(
      {kmq::bench::own_executable(), "--side", side, "--k", std::to_string(k), "--max-iter", std::to_string(o.max_iter),
       "--restarts", std::to_string(o.restarts), "--opencv-max-iter", std::to_string(o.opencv_max_iter), path});
  if (run.exit_code != 0) throw std::runtime_error(side + " on " + path + " failed (exit " + std::to_string(run.exit_code) + ")");
  nlohmann::json out = nlohmann::json::parse(run.output);
  out["peak_mib"] = out.at("peak_kib").get<double>() / 1024.0;
  return out;
}

double mib(const nlohmann::json& side) { return side.at("peak_mib").get<double>(); }

}  // namespace

int main(int argc, char** argv) try {
  const options o = parse(argc, argv);
  if (!o.side.empty()) {
    std::cout << run_side(o, o.side, o.ks.front(), o.images.front()).dump() << '\n';
    return 0;
  }
  nlohmann::json rows = nlohmann::json::array();
  std::ostringstream table;
  table << "| image | size | K | kmq s (hist / seed / iterate / refine / map) | kmq iters (seedings) | kmq MSE | cv::kmeans s | cv MSE | speed-up | MSE kmq/cv | peak MiB: kmq / cv (decode alone) |\n"
        << "|---|---|---|---|---|---|---|---|---|---|---|\n";
  kmq::bench::bar_panel speed = kmq::bench::ratio_panel("speed-up: cv::kmeans time / kmq time (log scale)", true, 1);
  // The errors differ by tenths of a per cent: bars of the change around 0 show it, bars of the ratio from 0 would not.
  kmq::bench::bar_panel error = kmq::bench::amount_panel("MSE: kmq against cv::kmeans, % (below 0: kmq's error is lower)", {}, 2);
  kmq::bench::bar_panel memory = kmq::bench::amount_panel("peak memory of the process, MiB (the decoded image included)",
                                                          {"kmq", "cv::kmeans", "decode alone"}, 0);
  std::string kmq_device, cv_threads;
  for (const std::string& path : o.images) {
    const std::string name = path.substr(path.find_last_of('/') + 1);
    const nlohmann::json decode = run_child_side(o, "decode", o.ks.front(), path);
    for (int k : o.ks) {
      const nlohmann::json km = run_child_side(o, "kmq", k, path);
      const nlohmann::json cv = run_child_side(o, "opencv", k, path);
      kmq_device = km.at("device").get<std::string>();
      cv_threads = std::to_string(cv.at("threads").get<int>());
      const auto& st = km.at("stage_seconds");
      const double kmq_seconds = km.at("seconds"), cv_seconds = cv.at("seconds");
      const double kmq_mse = km.at("mse"), cv_mse = cv.at("mse");
      const unsigned width = decode.at("width"), height = decode.at("height");
      char line[640];
      std::snprintf(line, sizeof line, "| %s | %ux%u | %d | %.3f (%.3f / %.3f / %.3f / %.3f / %.3f) | %d (%d) | %.2f | %.3f | %.2f | %.1fx | %.3f | %.0f / %.0f (%.0f) |\n",
                    name.c_str(), width, height, k, kmq_seconds, st.at("histogram").get<double>(), st.at("seed").get<double>(),
                    st.at("iterate").get<double>(), st.at("refine").get<double>(), st.at("map").get<double>(),
                    km.at("iterations").get<int>(), km.at("restarts").get<int>(), kmq_mse, cv_seconds, cv_mse,
                    cv_seconds / kmq_seconds, kmq_mse / cv_mse, mib(km), mib(cv), mib(decode));
      table << line;
      std::cout << line << std::flush;
      const std::string label = name + " K=" + std::to_string(k);
      speed.rows.push_back({label, {cv_seconds / kmq_seconds}});
      error.rows.push_back({label, {100.0 * (kmq_mse / cv_mse - 1.0)}});
      memory.rows.push_back({label, {mib(km), mib(cv), mib(decode)}});
      rows.push_back({{"image", name}, {"width", width}, {"height", height}, {"k", k},
                      {"distinct_colors", km.at("distinct_colors")}, {"kmq_seconds", kmq_seconds},
                      {"kmq_stage_seconds", st}, {"kmq_iterations", km.at("iterations")}, {"kmq_restarts", km.at("restarts")},
                      {"kmq_mse", kmq_mse}, {"opencv_seconds", cv_seconds}, {"opencv_mse", cv_mse},
                      {"speedup", cv_seconds / kmq_seconds}, {"mse_ratio", kmq_mse / cv_mse},
                      {"kmq_peak_mib", mib(km)}, {"opencv_peak_mib", mib(cv)}, {"decode_peak_mib", mib(decode)}});
    }
  }
  const std::string machine = kmq::bench::machine_description();
  std::ofstream md(o.out + ".md");
  md << "# kmq CPU vs OpenCV cv::kmeans\n\n" << machine << "\n\n"
     << "Both on every pixel's colour. kmq as `kmq compress` clusters (k-means++ seedings, Lloyd, then the refinement: "
        "Hartigan's method and the swap step), " << kmq_device
     << ", max-iter " << o.max_iter << ", tol 1e-4 (relative WCSS gain), best of "
     << (o.restarts > 0 ? std::to_string(o.restarts) : std::string("kmq compress's --restarts auto"))
     << "; cv::kmeans: k-means++ seeding, one attempt, max-iter " << o.opencv_max_iter
     << ", epsilon 1e-4 (centre shift), OpenCV " << CV_VERSION << " with " << cv_threads
     << " threads. MSE per RGB channel of the image as written (centres rounded to bytes). Speed-up = cv time / kmq time. "
        "Each side runs in a process of its own; peak memory is that process's largest resident set (its VmHWM), the decoded "
        "image included: \"decode alone\" is a process that only decodes.\n\n"
     << table.str() << "\n![speed-up, MSE change and memory per image and K](" << o.out.substr(o.out.find_last_of('/') + 1)
     << ".svg)\n";
  std::ofstream(o.out + ".json") << nlohmann::json{{"machine", machine}, {"rows", rows}}.dump(2) << '\n';
  kmq::bench::write_bar_chart(o.out + ".svg", {"kmq CPU against OpenCV cv::kmeans", machine, {speed, error, memory}});
  std::cout << "wrote " << o.out << ".md, .json and .svg\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << "bench_vs_opencv: " << e.what() << '\n';
  return 1;
}
