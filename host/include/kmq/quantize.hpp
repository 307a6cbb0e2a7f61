// One image in, palette and label map out: histogram, clustering, palette,
// final assignment. No I/O.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kmq/backend.hpp"
#include "kmq/kmeans.hpp"

namespace kmq {

struct quantize_options {
  kmeans_params kmeans;
  bool dedupe = true;  // cluster distinct colours (weighted) rather than every pixel
};

struct quantize_result {
  std::vector<packed_rgba> palette;   // <= k entries, in output order (see palette_order.hpp)
  std::vector<std::uint8_t> indices;  // one per pixel, into palette
  std::size_t distinct_colors = 0;
  bool lossless = false;              // k >= distinct colours: the palette is those colours
  int iterations = 0;
  bool converged = false;
  int best_restart = 0;               // which of kmeans.restarts runs was kept
  double wcss = 0.0;                  // of the final label map against the final palette
  std::vector<double> wcss_history;   // per Lloyd pass, against float centroids
  double histogram_seconds = 0.0;
  double seed_seconds = 0.0;
  double iterate_seconds = 0.0;
  double map_seconds = 0.0;           // palette + label map
};

// pixels must have had collapse_transparent() applied.
quantize_result quantize(const packed_rgba* pixels, std::size_t count, const quantize_options& options,
                         backend& engine);

}  // namespace kmq
