// The polishing rounds for an image with alpha (palette_polish.hpp): the
// rounds themselves, then entry swaps under the alpha rule. Per group work
// and integer sums, in a fixed order: the same palette on any thread count.
#include "palette_polish.hpp"

#include <algorithm>
#include <limits>
#include <memory>

#include "cpu_assign.hpp"
#include "entry_neighbours.hpp"
#include "parallel.hpp"
#include "point_groups.hpp"
#include "rounding.hpp"

namespace kmq::detail {

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
      g.shown_sums.insert(g.shown_sums.end(), 3, 0);
    }
    const std::size_t at = g.points.size() - 1;
    g.weights[at] += counts[i];
    const std::uint64_t wa = std::uint64_t{counts[i]} * alpha_of(straight[i]);
    for (int c = 0; c < 3; ++c) g.shown_sums[at * 3 + c] += wa * channel_of(straight[i], c);
    g.of_color[i] = static_cast<std::uint32_t>(at);
  }
  return g;
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
    for (int c = 0; c < 3; ++c) shown[j * 3 + c] += groups.shown_sums[i * 3 + c];
  }
  std::vector<packed_rgba> out(n);
  for (std::size_t j = 0; j < n; ++j) {
    const std::uint32_t a = alpha_of(palette[j]);
    std::uint32_t channel[3];
    if (weight[j] == 0 || a == 0) {
      out[j] = palette[j];
    } else if (a == 255) {  // shows its colour in full: the mean of what its colours show
      for (int c = 0; c < 3; ++c) channel[c] = rounded_byte(static_cast<double>(shown[j * 3 + c]) / (255.0 * static_cast<double>(weight[j])));
      out[j] = pack_rgba(channel[0], channel[1], channel[2], 255);
    } else {
      const std::uint32_t mean_alpha = rounded_byte(static_cast<double>(alpha[j]) / static_cast<double>(weight[j]));
      if (mean_alpha == 0 || alpha[j] == 0) {
        out[j] = pack_rgba(0, 0, 0, 0);
      } else {
        for (int c = 0; c < 3; ++c) channel[c] = rounded_byte(static_cast<double>(shown[j * 3 + c]) / static_cast<double>(alpha[j]));
        out[j] = pack_rgba(channel[0], channel[1], channel[2], mean_alpha);
      }
    }
  }
  return out;
}

std::vector<packed_rgba> as_clustered(std::vector<packed_rgba> entries, bool premultiplied) {
  if (premultiplied) std::transform(entries.begin(), entries.end(), entries.begin(), premultiply);
  return entries;
}

// Constrained Lloyd rounds from the groups' labels; returns the exact error
// (palette and labels updated in place). `neighbours` gives each entry's
// candidates (kept between calls: few entries move from one to the next).
std::uint64_t polish_rounds(const point_groups& groups, std::vector<std::uint32_t>& labels,
                            std::vector<packed_rgba>& palette, bool premultiplied, int threads, int max_rounds,
                            entry_neighbour_table& neighbours, double least_gain) {
  const std::vector<packed_rgba>& points = groups.points;
  const std::size_t row = static_cast<std::size_t>(neighbours.count()) + 1;
  const std::vector<packed_rgba> start = as_clustered(palette, premultiplied);
  std::uint64_t error = 0;
  // palette_distance, so that a round or a swap that sends a colour across
  // the alpha rule counts what it breaks.
  for (std::size_t i = 0; i < points.size(); ++i) error += std::uint64_t{groups.weights[i]} * palette_distance(points[i], start[labels[i]]);
  // A group that kept its entry last round, whose row is not touched this
  // round (the same candidates at the same colours), would find the same
  // entry at the same distance: it is not looked at again. Late rounds move
  // few entries, so most groups are settled.
  std::vector<char> settled(points.size(), 0);
  std::vector<std::uint32_t> settled_distance(points.size(), 0);
  for (int round = 0; round < max_rounds; ++round) {
    // Round 0 only remaps: the labels handed in need not be the nearest entries.
    std::vector<packed_rgba> next = round == 0 ? palette : updated_entries(groups, labels, palette);
    const std::vector<packed_rgba> shown = as_clustered(next, premultiplied);
    const std::vector<std::uint32_t>& near = neighbours.rows_for(shown);
    const std::vector<char>& touched = neighbours.touched();
    // Each group on its own and the error an integer sum: any split into
    // threads gives the same labels and the same total.
    std::vector<std::uint32_t> next_labels(labels.size());
    std::vector<std::uint64_t> partial(static_cast<std::size_t>(chunk_count(threads, points.size())), 0);
    parallel_chunks(threads, points.size(), [&](int chunk, std::size_t begin, std::size_t end) {
      std::uint64_t total = 0;
      for (std::size_t i = begin; i < end; ++i) {
        if (settled[i] && !touched[labels[i]]) {
          next_labels[i] = labels[i];
          total += std::uint64_t{groups.weights[i]} * settled_distance[i];
          continue;
        }
        const std::uint32_t* options = &near[labels[i] * row];
        std::uint32_t best = options[0], best_distance = palette_distance(points[i], shown[options[0]]);
        for (std::size_t o = 1; o < row; ++o) {
          const std::uint32_t d = palette_distance(points[i], shown[options[o]]);
          if (d < best_distance || (d == best_distance && options[o] < best)) {
            best = options[o];
            best_distance = d;
          }
        }
        settled[i] = best == labels[i];
        settled_distance[i] = best_distance;
        next_labels[i] = best;
        total += std::uint64_t{groups.weights[i]} * best_distance;
      }
      partial[static_cast<std::size_t>(chunk)] = total;
    });
    std::uint64_t next_error = 0;
    for (std::uint64_t part : partial) next_error += part;
    if (round > 0 && next_error >= error) break;  // round 0 puts every group where the alpha rule lets it go
    const bool small_gain = round > 0 && static_cast<double>(error - next_error) < least_gain * static_cast<double>(error);
    palette.swap(next);
    labels.swap(next_labels);
    error = next_error;
    if (small_gain) break;
  }
  return error;
}

// The entry one group would want: its mean shown colour at its alpha
// (updated_entries' rule for a single group).
packed_rgba entry_for(const point_groups& groups, std::size_t g) {
  const std::uint32_t a = alpha_of(groups.points[g]);
  if (a == 0) return pack_rgba(0, 0, 0, 0);
  const double wa = static_cast<double>(groups.weights[g]) * a;
  std::uint32_t channel[3];
  for (int c = 0; c < 3; ++c) channel[c] = rounded_byte(static_cast<double>(groups.shown_sums[g * 3 + c]) / wa);
  return pack_rgba(channel[0], channel[1], channel[2], a);
}

// Whether dropping entry j keeps the alpha rule's entries: the transparent
// one, and an opaque one where any is left.
bool may_drop(const std::vector<packed_rgba>& palette, std::size_t j) {
  const std::uint32_t a = alpha_of(palette[j]);
  if (a != 0 && a != 255) return true;
  return std::count_if(palette.begin(), palette.end(), [a](packed_rgba e) { return alpha_of(e) == a; }) > 1;
}

// What a trial needs to know of the palette as it stands: per group the entry
// it would take without its own (the nearest of that entry's neighbours, rule
// included), per entry what losing it would cost, and the group of largest
// error whose entry has not been tried.
struct swap_survey {
  std::vector<std::uint32_t> fallback;
  std::vector<double> loss;
  std::size_t worst = 0;
  std::uint64_t worst_error = 0;
};

swap_survey survey(const point_groups& groups, const std::vector<std::uint32_t>& labels,
                   const std::vector<packed_rgba>& shown, const std::vector<std::uint32_t>& near, std::size_t row,
                   const std::vector<packed_rgba>& tried) {
  swap_survey out;
  out.fallback.resize(groups.points.size());
  out.loss.assign(shown.size(), 0.0);
  for (std::size_t g = 0; g < groups.points.size(); ++g) {
    const packed_rgba x = groups.points[g];
    const std::uint32_t j = labels[g];
    const std::uint64_t w = groups.weights[g];
    const std::uint32_t own = palette_distance(x, shown[j]);
    if (w * own > out.worst_error && std::find(tried.begin(), tried.end(), entry_for(groups, g)) == tried.end()) {
      out.worst_error = w * own;
      out.worst = g;
    }
    std::uint32_t next = j, next_distance = std::numeric_limits<std::uint32_t>::max();
    for (std::size_t o = 1; o < row; ++o) {
      const std::uint32_t e = near[j * row + o];
      const std::uint32_t d = palette_distance(x, shown[e]);
      if (e != j && (d < next_distance || (d == next_distance && e < next))) {
        next = e;
        next_distance = d;
      }
    }
    out.fallback[g] = next;
    // A neighbour may be nearer than the group's entry (its label came from
    // the neighbours of its previous one): then losing the entry gains.
    out.loss[j] += next == j ? std::numeric_limits<double>::infinity()
                             : static_cast<double>(w) * (static_cast<double>(next_distance) - static_cast<double>(own));
  }
  return out;
}

// The entry whose loss costs least among those the rule lets go; size() if none.
std::size_t cheapest_to_drop(const std::vector<packed_rgba>& palette, const std::vector<double>& loss) {
  std::size_t drop = palette.size();
  for (std::size_t j = 0; j < palette.size(); ++j) {
    if (may_drop(palette, j) && (drop == palette.size() || loss[j] < loss[drop])) drop = j;
  }
  return drop;
}

// What an entry at `wanted` would save every group that is farther from its own.
double saving_of(const point_groups& groups, const std::vector<std::uint32_t>& labels,
                 const std::vector<packed_rgba>& shown, packed_rgba wanted) {
  double saving = 0.0;
  for (std::size_t g = 0; g < groups.points.size(); ++g) {
    const std::uint32_t own = palette_distance(groups.points[g], shown[labels[g]]);
    const std::uint32_t there = palette_distance(groups.points[g], wanted);
    if (there < own) saving += static_cast<double>(groups.weights[g]) * (own - there);
  }
  return saving;
}

// Entry swaps under the alpha rule. The rounds only move entries; how many
// entries each alpha class gets comes from the clustering, which does not
// know the rule: on an icon whose body is nearly opaque (alpha 245) and whose
// few opaque pixels must go to opaque entries, it leaves one opaque entry for
// hundreds of opaque colours (12.6 against scikit-learn's 4.0 at K=16). A
// trial gives the entry that costs least to lose (its groups' move to their
// next entry, rule included) to the group of largest error, at that group's
// colour and alpha, runs a few rounds and is kept only when their error
// fell. A group whose trial failed is not the target again until a swap is
// kept; swap_patience failures in a row end the swaps. Returns whether one
// was kept.
bool swap_entries(const point_groups& groups, std::vector<std::uint32_t>& labels, std::vector<packed_rgba>& palette,
                  bool premultiplied, int threads, const polish_params& params, entry_neighbour_table& neighbours,
                  std::uint64_t& error) {
  const std::size_t row = static_cast<std::size_t>(params.candidates) + 1;
  bool kept = false;
  if (palette.size() < 2 || groups.points.empty() || groups.points.size() > params.swap_groups_limit) return kept;
  std::vector<packed_rgba> tried;  // wanted entries whose trial failed since the last kept swap
  int failures = 0;
  for (int trial = 0; trial < params.swap_trials && failures < params.swap_patience; ++trial) {
    const std::vector<packed_rgba> shown = as_clustered(palette, premultiplied);
    const std::vector<std::uint32_t>& near = neighbours.rows_for(shown);
    const swap_survey found = survey(groups, labels, shown, near, row, tried);
    if (found.worst_error == 0) return kept;  // every group on an entry of its own colour
    const packed_rgba wanted = entry_for(groups, found.worst);
    const packed_rgba wanted_shown = premultiplied ? premultiply(wanted) : wanted;
    const std::size_t drop = cheapest_to_drop(palette, found.loss);
    // An entry already there (its rounding), or one whose saving alone is far
    // from what losing the dropped one alone costs (both pessimistic: the
    // rounds move entries and colours to soften the loss), is not worth a trial.
    if (drop == palette.size() || std::find(palette.begin(), palette.end(), wanted) != palette.end() ||
        !(saving_of(groups, labels, shown, wanted_shown) > params.least_saving * found.loss[drop])) {
      tried.push_back(wanted);
      ++failures;
      continue;
    }
    std::vector<packed_rgba> trial_palette = palette;
    trial_palette[drop] = wanted;
    std::vector<std::uint32_t> trial_labels(groups.points.size());
    for (std::size_t g = 0; g < groups.points.size(); ++g) {
      const std::uint32_t stay = labels[g] == drop ? found.fallback[g] : labels[g];
      const std::uint32_t d =
          stay == drop ? std::numeric_limits<std::uint32_t>::max() : palette_distance(groups.points[g], shown[stay]);
      trial_labels[g] = palette_distance(groups.points[g], wanted_shown) < d ? static_cast<std::uint32_t>(drop) : stay;
    }
    const std::uint64_t trial_error = polish_rounds(groups, trial_labels, trial_palette, premultiplied, threads,
                                                   params.trial_rounds, neighbours, params.least_gain);
    if (trial_error >= error) {
      tried.push_back(wanted);
      ++failures;
      continue;
    }
    tried.clear();
    failures = 0;
    kept = true;
    palette.swap(trial_palette);
    labels.swap(trial_labels);
    error = trial_error;
  }
  return kept;
}

// The error of a palette as the image will be mapped to it: every group to
// its nearest entry by palette_distance (ties to the lowest index), as the
// backends' final assignment does. Per group, integer sums: any thread count.
std::uint64_t mapped_error(const point_groups& groups, const std::vector<packed_rgba>& palette, bool premultiplied,
                           int threads) {
  const std::vector<packed_rgba> shown = as_clustered(palette, premultiplied);
  const auto planes = std::make_unique<palette_planes>(make_palette_planes(shown.data(), static_cast<int>(shown.size())));
  const std::size_t n = groups.points.size();
  std::vector<std::uint64_t> partial(static_cast<std::size_t>(chunk_count(threads, n, shown.size())), 0);
  parallel_chunks(
      threads, n,
      [&](int chunk, std::size_t begin, std::size_t end) {
        std::vector<std::uint32_t> nearest(end - begin);
        nearest_palette_entries(groups.points.data() + begin, 0, end - begin, *planes, nearest.data());
        std::uint64_t total = 0;
        for (std::size_t g = begin; g < end; ++g) {
          total += std::uint64_t{groups.weights[g]} * palette_distance(groups.points[g], shown[nearest[g - begin]]);
        }
        partial[static_cast<std::size_t>(chunk)] = total;
      },
      shown.size());
  std::uint64_t total = 0;
  for (std::uint64_t part : partial) total += part;
  return total;
}

}  // namespace

std::vector<packed_rgba> polish_palette(const std::vector<packed_rgba>& straight, const std::vector<packed_rgba>& clustered,
                                        const std::vector<std::uint32_t>& counts, std::vector<std::uint32_t> labels,
                                        std::vector<packed_rgba> palette, bool premultiplied, int threads,
                                        const polish_params& params) {
  return polish_palette(group_points(clustered, straight, counts), std::move(labels), std::move(palette), premultiplied,
                        threads, params);
}

std::vector<packed_rgba> polish_palette(const point_groups& groups, const std::vector<std::uint32_t>& labels,
                                        std::vector<packed_rgba> palette, bool premultiplied, int threads,
                                        const polish_params& params) {
  // A group starts at its first colour's entry (the colours of a group share
  // one in every labelling the refinement makes).
  std::vector<std::uint32_t> group_labels(groups.points.size(), 0);
  std::vector<char> seen(groups.points.size(), 0);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const std::uint32_t g = groups.of_color[i];
    if (!seen[g]) group_labels[g] = labels[i];
    seen[g] = 1;
  }
  entry_neighbour_table neighbours(params.candidates);
  std::uint64_t error =
      polish_rounds(groups, group_labels, palette, premultiplied, threads, params.max_rounds, neighbours, params.least_gain);
  const std::vector<packed_rgba> before_swaps = palette;
  if (swap_entries(groups, group_labels, palette, premultiplied, threads, params, neighbours, error)) {
    // The trials ran few rounds each: the rounds again, to convergence.
    polish_rounds(groups, group_labels, palette, premultiplied, threads, params.max_rounds, neighbours, params.least_gain);
    // The rounds move a colour only among its entry's neighbours; the image
    // is mapped to the nearest of all. Kept only where that error fell too.
    if (mapped_error(groups, palette, premultiplied, threads) >= mapped_error(groups, before_swaps, premultiplied, threads)) {
      palette = before_swaps;
    }
  }
  std::sort(palette.begin(), palette.end());
  palette.erase(std::unique(palette.begin(), palette.end()), palette.end());
  return palette;
}

}  // namespace kmq::detail
