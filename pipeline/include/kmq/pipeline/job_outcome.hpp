// What one job produced and measured: everything a front-end renders (a
// summary line, JSON, an HTML report, an HTTP response), as data.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "kmq/metrics.hpp"
#include "kmq/quantize.hpp"
#include "kmq/remap.hpp"

namespace kmq {

// Wall time of each stage in seconds. map = the palette's nearest entries
// plus the label map; write = the output file, flushed and named. metrics
// and encode run side by side, so their seconds overlap.
struct stage_times {
  double decode = 0, histogram = 0, seed = 0, iterate = 0, refine = 0, map = 0, metrics = 0, encode = 0, write = 0;
  double total = 0;
};

// One point of the elbow curve: the error of the palette of k colours.
struct elbow_point {
  int k = 0;
  double wcss = 0.0;     // exact, of the pixels against their nearest palette entry
  double mse = 0.0;      // per channel, as image_metrics::mse
  double psnr = 0.0;     // dB; infinity when lossless
  double seconds = 0.0;  // to build that palette
};

struct job_outcome {
  std::string input;
  std::string output;                 // the file written; empty when the job wrote none
  std::uint32_t width = 0, height = 0;
  bool has_alpha = false;             // the input carried alpha
  std::uint64_t input_bytes = 0;      // size of the input file
  quantize_result quantized;          // palette, usage, passes (its pixel map already released)
  image_metrics metrics;              // when the job measured
  bool measured = false;
  std::vector<std::uint8_t> png;      // the encoded palette PNG
  stage_times seconds;
  std::string backend, device;        // what ran the clustering, e.g. "cpu", "2 threads"
  int threads = 0;
  std::vector<std::string> notices;   // what the observer was told, e.g. a fallback to the CPU
  int k = 0;                          // the K the output was made with (chosen by --quality, or asked)
  std::vector<int> ks_tried;          // with a quality target: every K built, in order
  std::vector<elbow_point> elbow;     // with image_job::elbow: K = 2, 4, 8, ... 256 below the distinct colours
  // With image_job::keep_decoded: the decoded input (transparent pixels
  // merged) and the label map, for reports and previews.
  std::vector<packed_rgba> decoded;
  label_map labels;
};

}  // namespace kmq
