#include "palette_refine.hpp"

#include <algorithm>
#include <cmath>


#include "hartigan.hpp"
#include "kmq/error.hpp"
#include "partition_sums.hpp"
#include "point_groups.hpp"
#include "rounding.hpp"
#include "swap_refine.hpp"
#include "parallel.hpp"

namespace kmq::detail {
namespace {

// Each cluster's straight colour: alpha the weighted mean alpha, each colour
// channel the mean weighted by pixels times alpha (what minimises the
// composited error for that alpha; the plain mean when the cluster is
// opaque). From the exact straight colours, not their rounded premultiplied
// values, so a cluster of one colour at many alphas keeps that colour exactly.
//
// Opaque pixels stay opaque (palette_distance sends them only to entries of
// alpha 255), so a cluster of mostly opaque colours, whose mean would round to
// an alpha below 255 and serve none of them, gets the mean of its opaque
// colours, fully opaque; its translucent colours then go to the nearest entry.
// Per cluster, exact integer sums over its colours: pixels, pixels times
// alpha, pixels times alpha times each channel, and the same for its opaque
// colours alone.
struct cluster_sums {
  std::vector<std::uint64_t> weight, alpha, shown, opaque, opaque_sum;  // shown, opaque_sum: 3 per cluster
};

cluster_sums sum_clusters(const std::vector<packed_rgba>& straight, const std::vector<std::uint32_t>& counts,
                          const std::vector<std::uint32_t>& labels, std::size_t n) {
  cluster_sums s{std::vector<std::uint64_t>(n, 0), std::vector<std::uint64_t>(n, 0), std::vector<std::uint64_t>(n * 3, 0),
                 std::vector<std::uint64_t>(n, 0), std::vector<std::uint64_t>(n * 3, 0)};
  for (std::size_t i = 0; i < straight.size(); ++i) {
    const std::size_t j = labels[i];
    const std::uint64_t w = counts[i], a = alpha_of(straight[i]);
    s.weight[j] += w;
    s.alpha[j] += w * a;
    for (int c = 0; c < 3; ++c) s.shown[j * 3 + c] += w * a * channel_of(straight[i], c);
    if (a != 255) continue;
    s.opaque[j] += w;
    for (int c = 0; c < 3; ++c) s.opaque_sum[j * 3 + c] += w * channel_of(straight[i], c);
  }
  return s;
}

std::vector<float> straight_centroids(const std::vector<packed_rgba>& straight, const std::vector<std::uint32_t>& counts,
                                      const std::vector<std::uint32_t>& labels, int k, bool translucent) {
  const std::size_t n = static_cast<std::size_t>(k);
  const cluster_sums sums = sum_clusters(straight, counts, labels, n);
  const std::vector<std::uint64_t>&weight = sums.weight, &alpha = sums.alpha, &shown = sums.shown,
                                   &opaque = sums.opaque, &opaque_sum = sums.opaque_sum;
  std::vector<float> centroids;
  for (std::size_t j = 0; j < n; ++j) {
    if (weight[j] == 0) continue;
    const bool make_opaque = translucent && 2 * opaque[j] > weight[j];
    for (int c = 0; c < 3; ++c) {
      double value = 0.0;
      if (make_opaque) {
        value = static_cast<double>(opaque_sum[j * 3 + c]) / static_cast<double>(opaque[j]);
      } else if (alpha[j] > 0) {
        value = static_cast<double>(shown[j * 3 + c]) / static_cast<double>(alpha[j]);
      }
      centroids.push_back(static_cast<float>(value));
    }
    centroids.push_back(make_opaque ? 255.0f : static_cast<float>(static_cast<double>(alpha[j]) / static_cast<double>(weight[j])));
  }
  return centroids;
}

}  // namespace

std::vector<std::uint32_t> labels_per_color(std::vector<std::uint32_t> labels, const std::vector<std::uint32_t>& counts,
                                            bool dedupe) {
  if (dedupe) return labels;
  std::vector<std::uint32_t> per_color(counts.size());
  std::size_t first = 0;
  for (std::size_t c = 0; c < counts.size(); ++c) {
    per_color[c] = labels[first];
    first += counts[c];
  }
  return per_color;
}

namespace {

// What rounding the centroids (4 per non-empty cluster, in label order) to
// bytes adds to a partition's error: per cluster, its weight times the
// squared distance from its mean to the rounded mean.
double rounding_error(const std::vector<float>& centroids, const std::vector<std::uint32_t>& labels,
                      const std::vector<std::uint32_t>& counts, int k) {
  std::vector<double> weight(static_cast<std::size_t>(k), 0.0);
  for (std::size_t i = 0; i < labels.size(); ++i) weight[labels[i]] += counts[i];
  double added = 0.0;
  for (std::size_t j = 0, centroid = 0; j < weight.size(); ++j) {
    if (weight[j] == 0.0) continue;
    for (int c = 0; c < channels; ++c) {
      const float mean = centroids[centroid * channels + c];
      const double off = static_cast<double>(rounded_byte(mean)) - mean;
      added += weight[j] * off * off;
    }
    ++centroid;
  }
  return added;
}

// Hartigan, the swap step and Hartigan again from one run's labels (per
// colour), over the groups of equal clustered values where there are groups.
refined_palette refine_labels(const std::vector<packed_rgba>& clustered, const std::vector<packed_rgba>& straight,
                              const std::vector<std::uint32_t>& counts, std::vector<std::uint32_t> labels, int k,
                              bool translucent, bool rounds_to_bytes, const point_groups* groups) {
  std::vector<std::uint32_t> group_labels;
  if (groups) {
    // A backend labels equal values alike: a group takes its colours' label.
    group_labels.resize(groups->points.size());
    for (std::size_t i = 0; i < labels.size(); ++i) group_labels[groups->of_color[i]] = labels[i];
  }
  const std::vector<packed_rgba>& points = groups ? groups->points : clustered;
  const std::vector<std::uint32_t>& weights = groups ? groups->weights : counts;
  std::vector<std::uint32_t>& point_labels = groups ? group_labels : labels;
  hartigan_outcome outcome = hartigan_refine(points, weights, point_labels, k, hartigan_params{});
  // Hartigan's one-point moves keep two clusters on one region while one
  // spans two: the swap step, then Hartigan's rule again over every point
  // where a swap was kept.
  // A trial moves the points of about 11 clusters (the swap step's default
  // neighbours): at small k most of the image, so fewer trials there. At
  // large k those clusters are a small region, too small for the split half
  // to find its place: from k = 80 the neighbourhood grows, k/16 nearest of
  // the split and the merged cluster, 8 from k = 128 (bench/NOTES.md, round 9).
  swap_params swapping;
  swapping.max_trials = std::clamp(k / 16, 1, 4);
  constexpr int most_neighbours = 8;
  swapping.neighbours = std::max(swapping.neighbours, std::min(k / 16, most_neighbours));
  const swap_outcome swapped = swap_refine(points, weights, point_labels, k, swapping);
  if (swapped.accepted > 0) {
    const hartigan_outcome again = hartigan_refine(points, weights, point_labels, k, hartigan_params{});
    outcome.moves += again.moves;
    outcome.sweeps += again.sweeps;
  }
  const double wcss = partition_error(points, weights, point_labels, k);
  if (groups) {
    for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = group_labels[groups->of_color[i]];
  }
  refined_palette refined;
  refined.wcss = wcss;
  refined.centroids = straight_centroids(straight, counts, labels, k, translucent);
  refined.rounded_wcss = wcss + (rounds_to_bytes ? rounding_error(refined.centroids, labels, counts, k) : 0.0);
  std::vector<std::uint32_t> rank(static_cast<std::size_t>(k), 0), used(static_cast<std::size_t>(k), 0);
  for (std::uint32_t label : labels) used[label] = 1;
  for (std::size_t j = 0, next = 0; j < rank.size(); ++j) {
    if (used[j]) rank[j] = static_cast<std::uint32_t>(next++);
  }
  for (std::uint32_t& label : labels) label = rank[label];
  refined.labels = std::move(labels);
  refined.moves = outcome.moves;
  refined.sweeps = outcome.sweeps;
  return refined;
}

}  // namespace

std::pair<std::size_t, refined_palette> refine_best(const std::vector<packed_rgba>& clustered,
                                                    const std::vector<packed_rgba>& straight,
                                                    const std::vector<std::uint32_t>& counts,
                                                    const std::vector<const std::vector<float>*>& centroids,
                                                    const std::vector<const std::vector<std::uint32_t>*>& known_labels,
                                                    int k, backend& engine, bool dedupe, bool translucent,
                                                    bool rounds_to_bytes, int threads, const point_groups* given) {
  const std::size_t runs = centroids.size();
  if (runs == 0) throw error(error_kind::internal, "refine_best: no runs");
  std::vector<std::vector<std::uint32_t>> labels(runs);
  if (known_labels.size() != runs) throw error(error_kind::internal, "refine_best: labels for other runs");
  for (std::size_t r = 0; r < runs; ++r) {
    if (known_labels[r] != nullptr && !known_labels[r]->empty()) {
      labels[r] = labels_per_color(*known_labels[r], counts, dedupe);
      continue;
    }
    engine.step(centroids[r]->data(), k);
    labels[r] = labels_per_color(engine.labels(), counts, dedupe);
  }
  // Premultiplied, many colours of a soft edge are one value.
  point_groups own_groups;
  if (translucent && given == nullptr) own_groups = group_points(clustered, straight, counts);
  const point_groups* grouped = !translucent ? nullptr : given != nullptr ? given : &own_groups;
  std::vector<refined_palette> refined(runs);
  // One chunk per run (a run is far more work than a thread costs), each run
  // refined on its own: the same palettes on any number of threads.
  parallel_chunks(
      threads, runs,
      [&](int, std::size_t begin, std::size_t end) {
        for (std::size_t r = begin; r < end; ++r)
          refined[r] = refine_labels(clustered, straight, counts, std::move(labels[r]), k, translucent, rounds_to_bytes,
                                     grouped);
      },
      min_work_per_thread);
  std::size_t best = 0;
  for (std::size_t r = 0; r < runs; ++r) {
    if (refined[r].rounded_wcss < refined[best].rounded_wcss) best = r;
  }
  return {best, std::move(refined[best])};
}

}  // namespace kmq::detail
