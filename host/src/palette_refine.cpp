#include "palette_refine.hpp"

#include <algorithm>
#include <cmath>

#include "hartigan.hpp"
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

// One update of every entry from the colours it serves (see polish_palette).
std::vector<packed_rgba> updated_entries(const std::vector<packed_rgba>& straight, const std::vector<std::uint32_t>& counts,
                                         const std::vector<std::uint32_t>& labels, const std::vector<packed_rgba>& palette) {
  const std::size_t n = palette.size();
  const cluster_sums sums = sum_clusters(straight, counts, labels, n);
  const std::vector<std::uint64_t>&weight = sums.weight, &alpha = sums.alpha, &shown = sums.shown;
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
  const auto error_of = [&](const std::vector<std::uint32_t>& of, const std::vector<packed_rgba>& entries) {
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < clustered.size(); ++i) total += std::uint64_t{counts[i]} * squared_distance(clustered[i], entries[of[i]]);
    return total;
  };
  const std::size_t row = static_cast<std::size_t>(candidates) + 1;
  std::uint64_t error = error_of(labels, as_clustered(palette));
  for (int round = 0; round < max_rounds; ++round) {
    // Round 0 only remaps: the labels handed in need not be the nearest entries.
    std::vector<packed_rgba> next = round == 0 ? palette : updated_entries(straight, counts, labels, palette);
    const std::vector<packed_rgba> shown = as_clustered(next);
    const std::vector<std::uint32_t> near = entry_neighbours(shown, candidates);
    // Each colour on its own and the error an integer sum: any split into
    // threads gives the same labels and the same total.
    std::vector<std::uint32_t> next_labels(labels.size());
    std::vector<std::uint64_t> partial(static_cast<std::size_t>(std::max(threads, 1)), 0);
    parallel_chunks(threads, clustered.size(), [&](int chunk, std::size_t begin, std::size_t end) {
      std::uint64_t total = 0;
      for (std::size_t i = begin; i < end; ++i) {
        const std::uint32_t* options = &near[labels[i] * row];
        std::uint32_t best = options[0], best_distance = palette_distance(clustered[i], shown[options[0]]);
        for (std::size_t o = 1; o < row; ++o) {
          const std::uint32_t d = palette_distance(clustered[i], shown[options[o]]);
          if (d < best_distance || (d == best_distance && options[o] < best)) {
            best = options[o];
            best_distance = d;
          }
        }
        next_labels[i] = best;
        total += std::uint64_t{counts[i]} * squared_distance(clustered[i], shown[best]);
      }
      partial[static_cast<std::size_t>(chunk)] = total;
    });
    std::uint64_t next_error = 0;
    for (std::uint64_t part : partial) next_error += part;
    if (round > 0 && next_error >= error) break;  // round 0 puts every colour where the alpha rule lets it go
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

refined_palette refine_palette(const std::vector<packed_rgba>& clustered, const std::vector<packed_rgba>& straight,
                               const std::vector<std::uint32_t>& counts, const std::vector<float>& centroids, int k,
                               backend& engine, bool dedupe, bool translucent) {
  engine.step(centroids.data(), k);
  std::vector<std::uint32_t> labels = labels_per_color(engine.labels(), counts, dedupe);
  hartigan_outcome outcome = hartigan_refine(clustered, counts, labels, k, hartigan_params{});
  // Hartigan's one-point moves keep two clusters on one region while one
  // spans two: the swap step, then Hartigan's rule again over every colour
  // where a swap was kept.
  const swap_outcome swapped = swap_refine(clustered, counts, labels, k, swap_params{});
  if (swapped.accepted > 0) {
    const hartigan_outcome again = hartigan_refine(clustered, counts, labels, k, hartigan_params{});
    outcome.moves += again.moves;
    outcome.sweeps += again.sweeps;
  }
  refined_palette refined;
  refined.centroids = straight_centroids(straight, counts, labels, k, translucent);
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

}  // namespace kmq::detail
