// What `kmq compress` tells the user about one image: a JSON object, or a
// short human summary.
#pragma once
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "kmq/metrics.hpp"
#include "kmq/quantize.hpp"

namespace kmq::cli {

struct job_report {
  std::string input, output;
  std::uint32_t width = 0, height = 0;
  int colors_requested = 0;
  const quantize_result* result = nullptr;
  image_metrics metrics;
  std::uint64_t input_bytes = 0, output_bytes = 0;
  std::string backend, device, init;
  int threads = 0;
  int restarts = 1;
  std::uint64_t seed = 0;
  bool dedupe = true;
  int png_level = 6;
  double decode_seconds = 0, metrics_seconds = 0, encode_seconds = 0, total_seconds = 0;
};

nlohmann::json report_json(const job_report& report);

// One line; verbose adds stage times and the WCSS of every pass.
std::string report_text(const job_report& report, bool verbose);

}  // namespace kmq::cli
