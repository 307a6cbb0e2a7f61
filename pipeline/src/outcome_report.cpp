#include "kmq/pipeline/outcome_report.hpp"

#include <cmath>
#include <cstdarg>
#include <cstdio>

namespace kmq {

nlohmann::json outcome_json(const image_job& job, const job_outcome& r) {
  const quantize_result& q = r.quantized;
  nlohmann::json j;
  j["input"] = r.input;
  j["output"] = r.output;
  j["width"] = r.width;
  j["height"] = r.height;
  j["colors_requested"] = r.k;
  if (job.quality) {
    j["quality"] = {{"min_psnr", job.quality->min_psnr}, {"max_psnr", job.quality->max_psnr}};
    j["ks_tried"] = r.ks_tried;
  }
  if (!r.elbow.empty()) {
    nlohmann::json curve = nlohmann::json::array();
    for (const elbow_point& p : r.elbow) {
      curve.push_back({{"k", p.k}, {"wcss", p.wcss}, {"mse", p.mse},
                       {"psnr", std::isinf(p.psnr) ? nlohmann::json(nullptr) : nlohmann::json(p.psnr)},
                       {"seconds", p.seconds}});
    }
    j["elbow"] = curve;
  }
  j["distinct_colors"] = q.distinct_colors;
  j["palette_size"] = q.palette.size();
  j["lossless"] = q.lossless;
  j["exact_grey"] = q.exact_grey;
  j["iterations"] = q.iterations;
  j["converged"] = q.converged;
  j["restarts"] = q.restarts;
  j["split_run"] = q.split_run;
  j["best_restart"] = q.best_restart;
  j["wcss"] = q.wcss;
  j["wcss_history"] = q.wcss_history();
  j["refine_moves"] = q.refine_moves;
  if (r.measured) {
    j["mse"] = r.metrics.mse;
    j["mse_channels"] = r.metrics.channels;
    j["error_space"] = r.metrics.error_space;  // "rgb", or "premultiplied_rgba" (composited) for images with alpha
    // JSON has no infinity: a perfect copy has no PSNR to report.
    j["psnr"] = std::isinf(r.metrics.psnr) ? nlohmann::json(nullptr) : nlohmann::json(r.metrics.psnr);
    j["ssim"] = r.metrics.ssim;
    // With --space oklab: mean ΔE in OKLab over the pixels (opaque images; null with alpha).
    if (job.quantize.space == color_space::oklab) {
      j["mean_delta_e_ok"] = std::isnan(r.metrics.mean_delta_e_ok) ? nlohmann::json(nullptr)
                                                                    : nlohmann::json(r.metrics.mean_delta_e_ok);
    }
  }
  j["input_bytes"] = r.input_bytes;
  j["output_bytes"] = r.png.size();
  j["backend"] = r.backend;
  j["device"] = r.device;
  j["threads"] = r.threads;
  j["seed"] = job.quantize.kmeans.seed;
  j["init"] = init_method_name(job.quantize.kmeans.init);
  j["dedupe"] = job.quantize.dedupe;
  j["space"] = color_space_name(q.space);  // where the clustering ran (an image with alpha stays in rgb)
  j["png_level"] = job.png_level;
  const stage_times& s = r.seconds;
  j["seconds"] = {{"decode", s.decode}, {"histogram", s.histogram}, {"seed", s.seed},       {"iterate", s.iterate},
                  {"refine", s.refine}, {"map", s.map},             {"metrics", s.metrics}, {"encode", s.encode},
                  {"write", s.write},   {"total", s.total}};
  if (!r.notices.empty()) j["notices"] = r.notices;
  return j;
}

namespace {

std::string format(const char* pattern, ...) __attribute__((format(printf, 1, 2)));
// As long as it needs to be: file names (quoted, up to four bytes a byte)
// may be thousands of bytes.
std::string format(const char* pattern, ...) {
  va_list args, again;
  va_start(args, pattern);
  va_copy(again, args);
  const int length = std::vsnprintf(nullptr, 0, pattern, args);
  va_end(args);
  std::string text(length > 0 ? static_cast<std::size_t>(length) : 0, '\0');
  if (length > 0) std::vsnprintf(text.data(), text.size() + 1, pattern, again);
  va_end(again);
  return text;
}

}  // namespace

std::string outcome_text(const image_job& job, const job_outcome& r, bool verbose, const name_view& show_name) {
  const auto name = [&](const std::string& n) { return show_name ? show_name(n) : n; };
  const quantize_result& q = r.quantized;
  const double ratio =
      r.input_bytes == 0 ? 0.0 : 100.0 * static_cast<double>(r.png.size()) / static_cast<double>(r.input_bytes);
  const std::string psnr = std::isinf(r.metrics.psnr) ? std::string("inf") : format("%.2f", r.metrics.psnr);
  const std::string quality = r.measured ? format(", PSNR %s dB, SSIM %.4f", psnr.c_str(), r.metrics.ssim) : "";
  const std::string fit = q.lossless     ? std::string("lossless")
                          : q.exact_grey ? std::string("exact grey optimum")
                                     : format("%d iterations%s", q.iterations, q.converged ? ", converged" : ", not converged");
  const std::string output = r.output.empty() ? std::string("(not written)") : name(r.output);
  const std::string input = name(r.input);
  std::string text = format("%s -> %s: %ux%u, %zu %s of %zu, %llu -> %llu bytes (%.1f%%)%s, %s, %s (%s), %.3f s",
                            input.c_str(), output.c_str(), r.width, r.height, q.palette.size(),
                            q.palette.size() == 1 ? "colour" : "colours", q.distinct_colors,
                            static_cast<unsigned long long>(r.input_bytes), static_cast<unsigned long long>(r.png.size()),
                            ratio, quality.c_str(), fit.c_str(), r.backend.c_str(), r.device.c_str(), r.seconds.total);
  if (job.quality) {
    std::string tried;
    for (int k : r.ks_tried) tried += (tried.empty() ? "" : ", ") + std::to_string(k);
    text += format("\n  quality %.1f-%.1f dB: K=%d chosen, Ks tried: %s", job.quality->min_psnr, job.quality->max_psnr,
                   r.k, tried.c_str());
  }
  if (!r.elbow.empty()) {
    text += "\n  elbow (K: PSNR dB):";
    for (const elbow_point& p : r.elbow) text += format(" %d: %.2f", p.k, p.psnr);
  }
  if (verbose) {
    const stage_times& s = r.seconds;
    text += format(
        "\n  seconds: decode %.3f, histogram %.3f, seed %.3f, iterate %.3f, refine %.3f, map %.3f, metrics %.3f, encode %.3f, "
        "write %.3f",
        s.decode, s.histogram, s.seed, s.iterate, s.refine, s.map, s.metrics, s.encode, s.write);
    if (r.measured) {
      text += format("\n  mse %.3f over %d channels (%s), wcss %.0f", r.metrics.mse, r.metrics.channels,
                     r.metrics.error_space, q.wcss);
    }
    if (q.refine_sweeps > 0) {
      text += format("\n  refine: %llu moves in %d sweeps, %.3f s", static_cast<unsigned long long>(q.refine_moves),
                     q.refine_sweeps, q.refine_seconds);
    }
    if (!q.passes.empty()) {
      text += "\n  wcss per pass:";
      for (const iteration_stats& pass : q.passes) text += format(" %.6g", pass.wcss);
    }
  }
  return text;
}

}  // namespace kmq
