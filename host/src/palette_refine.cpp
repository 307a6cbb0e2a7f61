#include "palette_refine.hpp"

#include <algorithm>
#include <cmath>


#include "hartigan.hpp"
#include "kmq/error.hpp"
#include "partition_sums.hpp"
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

std::uint32_t rounded(double value) { return static_cast<std::uint32_t>(std::lround(std::min(255.0, std::max(0.0, value)))); }

// Colours whose clustered values are equal (premultiplying merges many of a
// soft edge's) are one point to the refinement and the polishing rounds: the
// same distances, so the same moves. Grouped once, the host work runs over
// the distinct values; what the entries need of the straight colours (pixels
// times alpha times each channel) is summed per group, exactly.
struct point_groups {
  std::vector<packed_rgba> points;      // the distinct clustered values, ascending
  std::vector<std::uint32_t> weights;   // pixels per group
  std::vector<std::uint64_t> shown;     // 3 per group: sum of pixels * alpha * straight channel
  std::vector<std::uint32_t> of_color;  // per colour: its group
};

point_groups group_points(const std::vector<packed_rgba>& clustered, const std::vector<packed_rgba>& straight,
                          const std::vector<std::uint32_t>& counts) {
  // LSD radix sort of (value, index) by value: stable, four byte passes.
  const std::size_t n = clustered.size();
  std::vector<std::uint32_t> order(n), scratch(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = static_cast<std::uint32_t>(i);
  for (int shift = 0; shift < 32; shift += 8) {
    std::size_t start[257] = {};
    for (std::uint32_t i : order) ++start[((clustered[i] >> shift) & 0xffu) + 1];
    for (int b = 0; b < 256; ++b) start[b + 1] += start[b];
    for (std::uint32_t i : order) scratch[start[(clustered[i] >> shift) & 0xffu]++] = i;
    order.swap(scratch);
  }
  point_groups g;
  g.of_color.resize(n);
  for (std::uint32_t i : order) {
    if (g.points.empty() || g.points.back() != clustered[i]) {
      g.points.push_back(clustered[i]);
      g.weights.push_back(0);
      g.shown.insert(g.shown.end(), 3, 0);
    }
    const std::size_t at = g.points.size() - 1;
    g.weights[at] += counts[i];
    const std::uint64_t wa = std::uint64_t{counts[i]} * alpha_of(straight[i]);
    for (int c = 0; c < 3; ++c) g.shown[at * 3 + c] += wa * channel_of(straight[i], c);
    g.of_color[i] = static_cast<std::uint32_t>(at);
  }
  return g;
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

// One update of every entry from the groups it serves (see polish_palette).
// A group's colours share one alpha (the clustered value's): pixels times
// alpha is its weight times that alpha.
std::vector<packed_rgba> updated_entries(const point_groups& groups, const std::vector<std::uint32_t>& labels,
                                         const std::vector<packed_rgba>& palette) {
  const std::size_t n = palette.size();
  std::vector<std::uint64_t> weight(n, 0), alpha(n, 0), shown(n * 3, 0);
  for (std::size_t i = 0; i < groups.points.size(); ++i) {
    const std::size_t j = labels[i];
    weight[j] += groups.weights[i];
    alpha[j] += std::uint64_t{groups.weights[i]} * alpha_of(groups.points[i]);
    for (int c = 0; c < 3; ++c) shown[j * 3 + c] += groups.shown[i * 3 + c];
  }
  std::vector<packed_rgba> out(n);
  for (std::size_t j = 0; j < n; ++j) {
    const std::uint32_t a = alpha_of(palette[j]);
    std::uint32_t channel[3];
    if (weight[j] == 0 || a == 0) {
      out[j] = palette[j];
    } else if (a == 255) {  // shows its colour in full: the mean of what its colours show
      for (int c = 0; c < 3; ++c) channel[c] = rounded(static_cast<double>(shown[j * 3 + c]) / (255.0 * static_cast<double>(weight[j])));
      out[j] = pack_rgba(channel[0], channel[1], channel[2], 255);
    } else {
      const std::uint32_t mean_alpha = rounded(static_cast<double>(alpha[j]) / static_cast<double>(weight[j]));
      if (mean_alpha == 0 || alpha[j] == 0) {
        out[j] = pack_rgba(0, 0, 0, 0);
      } else {
        for (int c = 0; c < 3; ++c) channel[c] = rounded(static_cast<double>(shown[j * 3 + c]) / static_cast<double>(alpha[j]));
        out[j] = pack_rgba(channel[0], channel[1], channel[2], mean_alpha);
      }
    }
  }
  return out;
}

// For each entry: itself, then up to `count` others nearest to it (ties: lower index).
std::vector<std::uint32_t> entry_neighbours(const std::vector<packed_rgba>& entries, int count) {
  const std::size_t n = entries.size(), row = static_cast<std::size_t>(count) + 1;
  std::vector<std::uint32_t> near(n * row);
  std::vector<std::pair<std::uint32_t, std::uint32_t>> order;
  for (std::size_t a = 0; a < n; ++a) {
    order.clear();
    for (std::size_t b = 0; b < n; ++b) {
      if (b != a) order.emplace_back(squared_distance(entries[a], entries[b]), static_cast<std::uint32_t>(b));
    }
    const std::size_t keep = std::min<std::size_t>(order.size(), static_cast<std::size_t>(count));
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(keep), order.end());
    near[a * row] = static_cast<std::uint32_t>(a);
    for (std::size_t i = 0; i < static_cast<std::size_t>(count); ++i) {
      near[a * row + 1 + i] = i < keep ? order[i].second : static_cast<std::uint32_t>(a);
    }
  }
  return near;
}

}  // namespace

std::vector<packed_rgba> polish_palette(const std::vector<packed_rgba>& straight, const std::vector<packed_rgba>& clustered,
                                        const std::vector<std::uint32_t>& counts, std::vector<std::uint32_t> labels,
                                        std::vector<packed_rgba> palette, bool premultiplied, int threads,
                                        int max_rounds, int candidates) {
  const auto as_clustered = [premultiplied](std::vector<packed_rgba> entries) {
    if (premultiplied) std::transform(entries.begin(), entries.end(), entries.begin(), premultiply);
    return entries;
  };
  const point_groups groups = group_points(clustered, straight, counts);
  const std::vector<packed_rgba>& points = groups.points;
  // A group starts at its first colour's entry (the colours of a group share
  // one in every labelling the refinement makes).
  std::vector<std::uint32_t> group_labels(points.size(), 0);
  std::vector<char> seen(points.size(), 0);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const std::uint32_t g = groups.of_color[i];
    if (!seen[g]) group_labels[g] = labels[i];
    seen[g] = 1;
  }
  labels.swap(group_labels);
  const auto error_of = [&](const std::vector<std::uint32_t>& of, const std::vector<packed_rgba>& entries) {
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < points.size(); ++i) total += std::uint64_t{groups.weights[i]} * squared_distance(points[i], entries[of[i]]);
    return total;
  };
  const std::size_t row = static_cast<std::size_t>(candidates) + 1;
  std::uint64_t error = error_of(labels, as_clustered(palette));
  for (int round = 0; round < max_rounds; ++round) {
    // Round 0 only remaps: the labels handed in need not be the nearest entries.
    std::vector<packed_rgba> next = round == 0 ? palette : updated_entries(groups, labels, palette);
    const std::vector<packed_rgba> shown = as_clustered(next);
    const std::vector<std::uint32_t> near = entry_neighbours(shown, candidates);
    // Each group on its own and the error an integer sum: any split into
    // threads gives the same labels and the same total.
    std::vector<std::uint32_t> next_labels(labels.size());
    std::vector<std::uint64_t> partial(static_cast<std::size_t>(chunk_count(threads, points.size())), 0);
    parallel_chunks(threads, points.size(), [&](int chunk, std::size_t begin, std::size_t end) {
      std::uint64_t total = 0;
      for (std::size_t i = begin; i < end; ++i) {
        const std::uint32_t* options = &near[labels[i] * row];
        std::uint32_t best = options[0], best_distance = palette_distance(points[i], shown[options[0]]);
        for (std::size_t o = 1; o < row; ++o) {
          const std::uint32_t d = palette_distance(points[i], shown[options[o]]);
          if (d < best_distance || (d == best_distance && options[o] < best)) {
            best = options[o];
            best_distance = d;
          }
        }
        next_labels[i] = best;
        total += std::uint64_t{groups.weights[i]} * squared_distance(points[i], shown[best]);
      }
      partial[static_cast<std::size_t>(chunk)] = total;
    });
    std::uint64_t next_error = 0;
    for (std::uint64_t part : partial) next_error += part;
    if (round > 0 && next_error >= error) break;  // round 0 puts every group where the alpha rule lets it go
    const bool small_gain = round > 0 && static_cast<double>(error - next_error) < 1e-3 * static_cast<double>(error);
    palette.swap(next);
    labels.swap(next_labels);
    error = next_error;
    if (small_gain) break;
  }
  std::sort(palette.begin(), palette.end());
  palette.erase(std::unique(palette.begin(), palette.end()), palette.end());
  return palette;
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
      const double off = static_cast<double>(rounded(mean)) - mean;
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
  // neighbours): at small k most of the image, so fewer trials there.
  swap_params swapping;
  swapping.max_trials = std::clamp(k / 16, 1, 4);
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
                                                    bool rounds_to_bytes, int threads) {
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
  point_groups groups;
  if (translucent) groups = group_points(clustered, straight, counts);
  const point_groups* grouped = translucent ? &groups : nullptr;
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
