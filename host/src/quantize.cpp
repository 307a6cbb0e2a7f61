// One image: distinct colours, clustering, then the palette that is written
// and an exact final assignment of every colour to its nearest palette entry.
#include "kmq/quantize.hpp"

#include <algorithm>
#include <cmath>

#include "kmq/error.hpp"
#include "kmq/palette_order.hpp"
#include "kmq/stopwatch.hpp"

namespace kmq {
namespace {

packed_rgba round_centroid(const float* centroid) {
  std::uint32_t channel[channels];
  for (int c = 0; c < channels; ++c) {
    const float clamped = std::min(255.0f, std::max(0.0f, centroid[c]));
    channel[c] = static_cast<std::uint32_t>(std::lround(clamped));
  }
  return pack_rgba(channel[0], channel[1], channel[2], channel[3]);
}

// The rounded centroids, duplicates merged, ascending by key: rounding can make
// two clusters one colour, and a palette needs each colour once.
std::vector<packed_rgba> palette_from(const std::vector<float>& centroids) {
  std::vector<packed_rgba> palette;
  for (std::size_t j = 0; j * channels < centroids.size(); ++j) palette.push_back(round_centroid(&centroids[j * channels]));
  std::sort(palette.begin(), palette.end());
  palette.erase(std::unique(palette.begin(), palette.end()), palette.end());
  return palette;
}

std::vector<std::uint64_t> usage_of(const std::vector<std::uint32_t>& labels, const std::vector<std::uint32_t>& weights,
                                    std::size_t palette_size) {
  std::vector<std::uint64_t> usage(palette_size, 0);
  for (std::size_t i = 0; i < labels.size(); ++i) usage[labels[i]] += weights[i];
  return usage;
}

// Assigns every point to its nearest palette entry; entries nobody chose are
// dropped (and the rest reassigned, which moves no point). Returns per-entry usage.
std::vector<std::uint64_t> settle_palette(backend& engine, std::vector<packed_rgba>& palette,
                                          const std::vector<std::uint32_t>& weights, std::vector<std::uint32_t>& labels) {
  engine.assign_to_palette(palette.data(), static_cast<int>(palette.size()));
  labels = engine.labels();
  std::vector<std::uint64_t> usage = usage_of(labels, weights, palette.size());
  if (std::find(usage.begin(), usage.end(), 0u) == usage.end()) return usage;
  std::vector<packed_rgba> used;
  for (std::size_t j = 0; j < palette.size(); ++j) {
    if (usage[j] > 0) used.push_back(palette[j]);
  }
  palette.swap(used);
  engine.assign_to_palette(palette.data(), static_cast<int>(palette.size()));
  labels = engine.labels();
  return usage_of(labels, weights, palette.size());
}

double exact_error(const std::vector<packed_rgba>& points, const std::vector<std::uint32_t>& weights,
                   const std::vector<std::uint32_t>& labels, const std::vector<packed_rgba>& palette) {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < points.size(); ++i) total += std::uint64_t{weights[i]} * squared_distance(points[i], palette[labels[i]]);
  return static_cast<double>(total);
}

// Puts the palette in output order and renumbers the label map to match.
void apply_output_order(std::vector<packed_rgba>& palette, const std::vector<std::uint64_t>& usage,
                        std::vector<std::uint8_t>& indices) {
  const std::vector<int> order = palette_output_order(palette, usage);
  std::vector<packed_rgba> ordered(palette.size());
  std::uint8_t renumber[max_colors] = {};
  for (std::size_t out = 0; out < order.size(); ++out) {
    ordered[out] = palette[static_cast<std::size_t>(order[out])];
    renumber[order[out]] = static_cast<std::uint8_t>(out);
  }
  palette.swap(ordered);
  for (std::uint8_t& index : indices) index = renumber[index];
}

}  // namespace

quantize_result quantize(const packed_rgba* pixels, std::size_t count, const quantize_options& options, backend& engine) {
  if (count == 0) throw error(error_kind::invalid_argument, "image has no pixels");
  if (options.kmeans.k < 1 || options.kmeans.k > max_colors) {
    throw error(error_kind::invalid_argument, "k must be between 1 and " + std::to_string(max_colors));
  }
  quantize_result result;
  detail::stopwatch histogram_time;
  // Deduplicated, the map only serves the final label map: a backend that
  // can keep it where it was made (device memory) does.
  color_histogram histogram;
  const bool map_kept = options.dedupe && engine.histogram_keeping_map(pixels, count, histogram);
  if (!map_kept) histogram = engine.histogram(pixels, count);
  result.histogram_seconds = histogram_time.seconds();
  result.distinct_colors = histogram.colors.size();

  std::vector<packed_rgba> points;
  std::vector<std::uint32_t> weights;
  std::vector<std::uint32_t> pixel_to_point;
  if (options.dedupe || result.distinct_colors <= static_cast<std::size_t>(options.kmeans.k)) {
    points = histogram.colors;
    weights = histogram.counts;
    pixel_to_point = std::move(histogram.pixel_to_color);
  } else {
    pixel_points expanded = expand_histogram(histogram);
    points = std::move(expanded.points);
    weights.assign(points.size(), 1);
    pixel_to_point.resize(count);
    for (std::size_t i = 0; i < expanded.point_to_pixel.size(); ++i) {
      pixel_to_point[expanded.point_to_pixel[i]] = static_cast<std::uint32_t>(i);
    }
  }
  engine.upload(points.data(), weights.data(), points.size());

  std::vector<packed_rgba> palette;
  if (result.distinct_colors <= static_cast<std::size_t>(options.kmeans.k)) {
    result.lossless = true;
    result.converged = true;
    palette = histogram.colors;
  } else {
    const kmeans_result clustering = run_kmeans(engine, points, weights, options.kmeans);
    result.iterations = clustering.iterations;
    result.converged = clustering.converged;
    result.best_restart = clustering.best_restart;
    result.wcss_history = clustering.wcss_history;
    result.seed_seconds = clustering.seed_seconds;
    result.iterate_seconds = clustering.iterate_seconds;
    palette = palette_from(clustering.centroids);
  }

  detail::stopwatch mapping;
  std::vector<std::uint32_t> labels;
  const std::vector<std::uint64_t> usage = settle_palette(engine, palette, weights, labels);
  result.wcss = exact_error(points, weights, labels, palette);
  result.indices.resize(count);
  if (map_kept) {
    engine.label_kept_pixels(count, result.indices.data());
  } else {
    engine.label_pixels(pixel_to_point.data(), count, result.indices.data());
  }
  apply_output_order(palette, usage, result.indices);
  result.palette = std::move(palette);
  result.map_seconds = mapping.seconds();
  return result;
}

}  // namespace kmq
