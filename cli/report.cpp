#include "report.hpp"

#include <cmath>
#include <cstdarg>
#include <cstdio>

namespace kmq::cli {

nlohmann::json report_json(const job_report& r) {
  const quantize_result& q = *r.result;
  nlohmann::json j;
  j["input"] = r.input;
  j["output"] = r.output;
  j["width"] = r.width;
  j["height"] = r.height;
  j["colors_requested"] = r.colors_requested;
  j["distinct_colors"] = q.distinct_colors;
  j["palette_size"] = q.palette.size();
  j["lossless"] = q.lossless;
  j["iterations"] = q.iterations;
  j["converged"] = q.converged;
  j["restarts"] = r.restarts;
  j["best_restart"] = q.best_restart;
  j["wcss"] = q.wcss;
  j["wcss_history"] = q.wcss_history;
  j["mse"] = r.metrics.mse;
  j["mse_channels"] = r.metrics.channels;
  // JSON has no infinity: a perfect copy has no PSNR to report.
  j["psnr"] = std::isinf(r.metrics.psnr) ? nlohmann::json(nullptr) : nlohmann::json(r.metrics.psnr);
  j["ssim"] = r.metrics.ssim;
  j["input_bytes"] = r.input_bytes;
  j["output_bytes"] = r.output_bytes;
  j["backend"] = r.backend;
  j["device"] = r.device;
  j["threads"] = r.threads;
  j["seed"] = r.seed;
  j["init"] = r.init;
  j["dedupe"] = r.dedupe;
  j["png_level"] = r.png_level;
  j["seconds"] = {{"decode", r.decode_seconds},       {"histogram", q.histogram_seconds},
                  {"seed", q.seed_seconds},           {"iterate", q.iterate_seconds},
                  {"map", q.map_seconds},             {"metrics", r.metrics_seconds},
                  {"encode", r.encode_seconds},
                  {"total", r.total_seconds}};
  return j;
}

namespace {

std::string format(const char* pattern, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char* pattern, ...) {
  char buffer[1024];
  va_list args;
  va_start(args, pattern);
  std::vsnprintf(buffer, sizeof buffer, pattern, args);
  va_end(args);
  return buffer;
}

}  // namespace

std::string report_text(const job_report& r, bool verbose) {
  const quantize_result& q = *r.result;
  const double ratio = r.input_bytes == 0 ? 0.0 : 100.0 * static_cast<double>(r.output_bytes) / static_cast<double>(r.input_bytes);
  std::string psnr = std::isinf(r.metrics.psnr) ? std::string("inf") : format("%.2f", r.metrics.psnr);
  std::string fit = q.lossless ? std::string("lossless")
                               : format("%d iterations%s", q.iterations, q.converged ? ", converged" : ", not converged");
  std::string text = format("%s -> %s: %ux%u, %zu colours of %zu, %llu -> %llu bytes (%.1f%%), PSNR %s dB, SSIM %.4f, %s, %s (%s), %.3f s",
                            r.input.c_str(), r.output.c_str(), r.width, r.height, q.palette.size(), q.distinct_colors,
                            static_cast<unsigned long long>(r.input_bytes), static_cast<unsigned long long>(r.output_bytes),
                            ratio, psnr.c_str(), r.metrics.ssim, fit.c_str(), r.backend.c_str(), r.device.c_str(),
                            r.total_seconds);
  if (verbose) {
    text += format("\n  seconds: decode %.3f, histogram %.3f, seed %.3f, iterate %.3f, map %.3f, metrics %.3f, encode %.3f",
                   r.decode_seconds, q.histogram_seconds, q.seed_seconds, q.iterate_seconds, q.map_seconds,
                   r.metrics_seconds, r.encode_seconds);
    text += format("\n  mse %.3f over %d channels, wcss %.0f", r.metrics.mse, r.metrics.channels, q.wcss);
    if (!q.wcss_history.empty()) {
      text += "\n  wcss per pass:";
      for (double w : q.wcss_history) text += format(" %.6g", w);
    }
  }
  return text;
}

}  // namespace kmq::cli
