// One image's palette: clustering of its distinct colours (color_set.cpp),
// then the palette that is written and an exact final assignment of every
// colour to its nearest palette entry.
#include "kmq/quantize.hpp"

#include <algorithm>

#include "kmq/error.hpp"
#include "kmq/kmeans.hpp"
#include "kmq/oklab.hpp"
#include "oklab_palette.hpp"
#include "kmq/palette_order.hpp"
#include "kmq/stopwatch.hpp"
#include "composited_error.hpp"
#include "grey_palette.hpp"
#include "palette_polish.hpp"
#include "point_groups.hpp"
#include "rounding.hpp"
#include "palette_refine.hpp"
#include "pixel_map_access.hpp"
#include "side_by_side.hpp"

namespace kmq {
namespace {

packed_rgba round_centroid(const float* centroid) {
  using detail::rounded_byte;
  return pack_rgba(rounded_byte(centroid[0]), rounded_byte(centroid[1]), rounded_byte(centroid[2]),
                   rounded_byte(centroid[3]));
}

// The straight colour whose premultiplied value is nearest a premultiplied
// centroid: alpha rounded first, the colour divided by it (in double, one
// fixed sequence of operations, so every machine rounds alike).
packed_rgba unpremultiply_centroid(const float* centroid) {
  const std::uint32_t a = round_centroid(centroid) >> 24;
  if (a == 0) return pack_rgba(0, 0, 0, 0);
  std::uint32_t channel[3];
  for (int c = 0; c < 3; ++c) {
    channel[c] = detail::rounded_byte(static_cast<double>(centroid[c]) * 255.0 / static_cast<double>(a));
  }
  return pack_rgba(channel[0], channel[1], channel[2], a);
}

// The rounded centroids (straight RGBA), duplicates merged, ascending by key:
// rounding can make two clusters one colour, and a palette needs each colour once.
std::vector<packed_rgba> palette_from(const std::vector<float>& centroids, bool premultiplied) {
  std::vector<packed_rgba> palette;
  for (std::size_t j = 0; j * channels < centroids.size(); ++j) {
    const float* centroid = &centroids[j * channels];
    const packed_rgba entry = premultiplied ? unpremultiply_centroid(centroid) : round_centroid(centroid);
    palette.push_back(alpha_of(entry) == 0 ? pack_rgba(0, 0, 0, 0) : entry);  // invisible: one transparent entry
  }
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
// The palette as the backend's points are: premultiplied, in fixed-point
// OKLab, or as it is.
struct clustered_as {
  bool premultiplied = false;
  bool oklab = false;
};

std::vector<packed_rgba> as_clustered(const std::vector<packed_rgba>& palette, clustered_as how) {
  std::vector<packed_rgba> out(palette);
  if (how.premultiplied) std::transform(out.begin(), out.end(), out.begin(), premultiply);
  if (how.oklab) std::transform(out.begin(), out.end(), out.begin(), [](packed_rgba c) { return to_oklab_fixed(c); });
  return out;
}

std::vector<std::uint64_t> settle_palette(backend& engine, std::vector<packed_rgba>& palette, clustered_as premultiplied,
                                          const std::vector<std::uint32_t>& weights, std::vector<std::uint32_t>& labels) {
  engine.assign_to_palette(as_clustered(palette, premultiplied).data(), static_cast<int>(palette.size()));
  labels = engine.labels();
  std::vector<std::uint64_t> usage = usage_of(labels, weights, palette.size());
  if (std::find(usage.begin(), usage.end(), 0u) == usage.end()) return usage;
  std::vector<packed_rgba> used;
  for (std::size_t j = 0; j < palette.size(); ++j) {
    if (usage[j] > 0) used.push_back(palette[j]);
  }
  palette.swap(used);
  engine.assign_to_palette(as_clustered(palette, premultiplied).data(), static_cast<int>(palette.size()));
  labels = engine.labels();
  return usage_of(labels, weights, palette.size());
}

double exact_error(const std::vector<packed_rgba>& points, const std::vector<std::uint32_t>& weights,
                   const std::vector<std::uint32_t>& labels, const std::vector<packed_rgba>& palette) {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < points.size(); ++i) {
    total += std::uint64_t{weights[i]} * squared_distance(points[i], palette[labels[i]]);
  }
  return static_cast<double>(total);
}

// The output order of the palette: reorders palette and usage, and returns
// what renumbers a label of the old order to the new.
std::vector<std::uint8_t> apply_output_order(std::vector<packed_rgba>& palette, std::vector<std::uint64_t>& usage) {
  const std::vector<int> order = palette_output_order(palette, usage);
  std::vector<packed_rgba> ordered(palette.size());
  std::vector<std::uint64_t> ordered_usage(palette.size());
  std::vector<std::uint8_t> renumber(palette.size());
  for (std::size_t out = 0; out < order.size(); ++out) {
    ordered[out] = palette[static_cast<std::size_t>(order[out])];
    ordered_usage[out] = usage[static_cast<std::size_t>(order[out])];
    renumber[static_cast<std::size_t>(order[out])] = static_cast<std::uint8_t>(out);
  }
  palette.swap(ordered);
  usage.swap(ordered_usage);
  return renumber;
}

}  // namespace

std::vector<double> quantize_result::wcss_history() const {
  std::vector<double> history;
  history.reserve(passes.size());
  for (const iteration_stats& pass : passes) history.push_back(pass.wcss);
  return history;
}

namespace {

// Alpha 0 and 255 are kept exact (palette_distance maps fully transparent and
// fully opaque colours only to entries of their own kind when there are any),
// so the palette must hold such entries when the image has such pixels: the
// centroid of a cluster that mixes them rounds to alpha 1 or 190. Opaque: the
// most opaque entry becomes fully opaque. Transparent: transparent black is
// added while there is room, else it replaces the entry nearest to it (never
// the one opaque entry). K = 1 has no room for the rule: one_entry_palette()
// (composited_error.hpp).
void keep_alpha_extremes(std::vector<packed_rgba>& palette, const std::vector<packed_rgba>& colors, int k) {
  // Colours are sorted by key, alpha in the high byte.
  const bool transparent = colors.front() == pack_rgba(0, 0, 0, 0);
  const bool opaque = alpha_of(colors.back()) == 255;
  auto count_alpha = [&](std::uint32_t a) {
    return std::count_if(palette.begin(), palette.end(), [a](packed_rgba c) { return alpha_of(c) == a; });
  };
  if (opaque && count_alpha(255) == 0) {
    const auto most = std::max_element(palette.begin(), palette.end(),
                                       [](packed_rgba a, packed_rgba b) { return alpha_of(a) < alpha_of(b); });
    *most = (*most & 0x00ffffffu) | (std::uint32_t{255} << 24);
  }
  if (transparent && count_alpha(0) == 0) {
    if (static_cast<int>(palette.size()) < k) {
      palette.push_back(pack_rgba(0, 0, 0, 0));
    } else {
      const bool one_opaque = opaque && count_alpha(255) == 1;
      std::size_t nearest = palette.size();
      for (std::size_t j = 0; j < palette.size(); ++j) {
        if (one_opaque && alpha_of(palette[j]) == 255) continue;
        if (nearest == palette.size() || squared_norm(palette[j]) < squared_norm(palette[nearest])) nearest = j;
      }
      if (nearest < palette.size()) palette[nearest] = pack_rgba(0, 0, 0, 0);
    }
  }
  std::sort(palette.begin(), palette.end());
  palette.erase(std::unique(palette.begin(), palette.end()), palette.end());
}

// Rounding, the opaque and transparent entries the alpha rule asks for, and
// that rule in the mapping move an image-with-alpha palette off the means of
// the colours each entry serves: constrained Lloyd rounds on the host
// and entry swaps (palette_polish.hpp) from the backend's exact mapping.
void polish_under_alpha_rule(const detail::point_groups& groups, const std::vector<float>& centroids,
                             const std::vector<std::uint32_t>& cluster_labels, bool premultiplied, int threads,
                             std::vector<packed_rgba>& palette) {
  // Each colour starts at its cluster's entry: the rounded centroid, or where
  // keep_alpha_extremes() replaced it, the entry nearest that centroid. No
  // full mapping pass: the rounds remap among neighbouring entries.
  const std::size_t clusters = centroids.size() / channels;
  std::vector<std::uint32_t> entry_of(clusters);
  for (std::size_t c = 0; c < clusters; ++c) {
    packed_rgba entry = round_centroid(&centroids[c * channels]);
    if (alpha_of(entry) == 0) entry = pack_rgba(0, 0, 0, 0);
    const auto at = std::lower_bound(palette.begin(), palette.end(), entry);
    if (at != palette.end() && *at == entry) {
      entry_of[c] = static_cast<std::uint32_t>(at - palette.begin());
      continue;
    }
    std::uint32_t nearest = 0;
    for (std::uint32_t j = 1; j < palette.size(); ++j) {
      if (palette_distance(entry, palette[j]) < palette_distance(entry, palette[nearest])) nearest = j;
    }
    entry_of[c] = nearest;
  }
  std::vector<std::uint32_t> labels(cluster_labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = entry_of[cluster_labels[i]];
  palette = detail::polish_palette(groups, labels, palette, premultiplied, threads);
}

// Channels an error is counted over: R, G, B, and A when any pixel shows it.
int error_channels(const color_set& colors) { return colors.translucent() ? 4 : 3; }

}  // namespace

quantize_result quantize(const color_set& colors, const quantize_options& asked, backend& engine,
                         observer* watcher) {
  quantize_options options = asked;
  // With alpha and refinement the polishing rounds run too.
  const bool polished = colors.translucent() && asked.refine;
  const std::uint64_t pixels = static_cast<std::uint64_t>(colors.width()) * colors.height();
  if (options.kmeans.restarts == 0) {
    options.kmeans.restarts = automatic_restarts(options.kmeans.k, colors.distinct_points_, polished, pixels);
    options.kmeans.split_run = automatic_split_run(options.kmeans.k, colors.distinct_points_, polished, pixels);
  }
  validate(options);
  if (options.dedupe != colors.dedupe()) {
    throw error(error_kind::invalid_argument, "quantize: the colour set was made with the other dedupe setting");
  }
  if (options.space != colors.requested_space()) {
    throw error(error_kind::invalid_argument, "quantize: the colour set was made for the other --space");
  }
  const bool oklab = colors.space() == color_space::oklab;
  const clustered_as clustered_how{colors.premultiplied(), oklab};
  if (!pixel_map_access::points_current_on(colors.map_, engine)) {
    throw error(error_kind::internal, "quantize: the backend no longer holds this image's colours");
  }
  const std::vector<packed_rgba>& points = colors.points_;
  const std::vector<std::uint32_t>& weights = colors.weights_;

  quantize_result result;
  result.width = colors.width();
  result.height = colors.height();
  result.k = options.kmeans.k;
  result.restarts = options.kmeans.restarts;
  result.distinct_colors = colors.distinct_colors();
  result.histogram_seconds = colors.histogram_seconds();
  result.map = colors.map_;

  // Pixels per distinct colour (the points' weights, or with --no-dedupe the colours' counts).
  const std::vector<std::uint32_t>& counts = colors.dedupe() ? weights : colors.counts_;
  std::vector<packed_rgba> palette;
  if (result.distinct_colors <= static_cast<std::size_t>(options.kmeans.k)) {
    result.lossless = true;
    result.converged = true;
    result.restarts = 0;
    palette = colors.colors_;
  } else if (colors.translucent() && options.kmeans.k == 1) {
    result.converged = true;
    result.restarts = 0;
    palette = {detail::one_entry_palette(colors.colors_, counts)};
  } else if (options.refine && !oklab && detail::all_opaque_grey(colors.colors_)) {
    // One line of colours: the exact optimum, no clustering (grey_palette.hpp).
    detail::stopwatch solving;
    result.exact_grey = true;
    result.converged = true;
    result.restarts = 0;
    palette = detail::optimal_grey_palette(colors.colors_, counts, options.kmeans.k);
    result.refine_seconds = solving.seconds();
  } else {
    // Premultiplying can merge colours: never more clusters than points.
    kmeans_params params = options.kmeans;
    params.k = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(params.k), colors.distinct_points_));
    // With refinement the runs of least Lloyd error are refined (two, or as
    // many as refined_runs() allows on a small clustering) and the lowest
    // error after it and rounding to bytes wins (ties: the earlier run;
    // refined_palette::rounded_wcss): the Lloyd error of a run foretells its
    // refined error poorly (Lloyd stops on a relative gain), and two
    // refinements run side by side on two threads in the time of one.
    std::vector<kmeans_result> runs;
    if (options.refine) {
      runs = run_kmeans_runs(engine, points, weights, params, watcher);
    } else {
      runs.push_back(run_kmeans(engine, points, weights, params, watcher));
    }
    result.restarts = run_count(params);
    result.split_run = detail::run_starts(params).back().init == init_method::variance_split;
    for (const kmeans_result& run : runs) {
      result.seed_seconds += run.seed_seconds;
      result.iterate_seconds += run.iterate_seconds;
    }
    bool straight = !colors.premultiplied();
    std::vector<std::uint32_t> cluster_labels;
    detail::stopwatch refining;
    detail::refined_palette refined;
    std::size_t kept = 0;
    // An image with alpha: its colours grouped by clustered value once, for
    // the refinement and the polishing rounds.
    detail::point_groups groups;
    if (polished) groups = detail::group_points(colors.clustered_colors(), colors.colors_, counts);
    if (options.refine) {
      const auto refining_runs = static_cast<std::size_t>(
          refined_runs(options.kmeans.k, colors.distinct_points_, polished, static_cast<int>(runs.size())));
      std::vector<std::size_t> order(runs.size());
      for (std::size_t r = 0; r < runs.size(); ++r) order[r] = r;
      std::stable_sort(order.begin(), order.end(),
                       [&](std::size_t a, std::size_t b) { return runs[a].final_wcss() < runs[b].final_wcss(); });
      order.resize(refining_runs);
      std::sort(order.begin(), order.end());
      std::vector<const std::vector<float>*> centroids;
      std::vector<const std::vector<std::uint32_t>*> known_labels;
      for (std::size_t r : order) {
        centroids.push_back(&runs[r].centroids);
        known_labels.push_back(&runs[r].final_labels);
      }
      auto best = detail::refine_best(colors.clustered_colors(), oklab ? colors.clustered_colors() : colors.colors_,
                                      counts, centroids, known_labels, params.k, engine, colors.dedupe(),
                                      colors.translucent(), !oklab && !colors.translucent(), engine.threads(),
                                      polished ? &groups : nullptr);
      kept = order[best.first];
      refined = std::move(best.second);
    }
    kmeans_result& clustering = runs[kept];
    result.iterations = clustering.iterations;
    result.converged = clustering.converged;
    result.best_restart = clustering.best_restart;
    result.passes = std::move(clustering.passes);
    if (options.refine) {
      clustering.centroids = std::move(refined.centroids);
      cluster_labels = std::move(refined.labels);
      straight = true;
      result.refine_moves = refined.moves;
      result.refine_sweeps = refined.sweeps;
    }
    if (oklab && options.refine) {
      palette = detail::palette_from_exact_oklab(colors.colors_, counts, cluster_labels, clustering.centroids.size() / channels);
    } else {
      palette = oklab ? detail::palette_from_oklab(clustering.centroids) : palette_from(clustering.centroids, !straight);
    }
    keep_alpha_extremes(palette, colors.colors_, options.kmeans.k);
    if (polished) {
      polish_under_alpha_rule(groups, clustering.centroids, cluster_labels, colors.premultiplied(), engine.threads(),
                              palette);
    }
    if (options.refine) result.refine_seconds = refining.seconds();
  }

  report_stage(watcher, job_stage::map);
  detail::stopwatch settling;
  std::vector<std::uint32_t> labels;
  result.usage = settle_palette(engine, palette, clustered_how, weights, labels);
  engine.begin_labels();
  pixel_map_access::labelled(result.map, engine);
  result.premultiplied = colors.premultiplied();
  result.space = colors.space();
  // The error the PNG shows: in oklab mode, of the sRGB colours against the
  // sRGB entries the OKLab mapping chose.
  const std::vector<packed_rgba>& error_points = !oklab ? points : colors.dedupe() ? colors.colors_ : colors.rgb_points_;
  result.wcss = exact_error(error_points, weights, labels, as_clustered(palette, {colors.premultiplied(), false}));
  const double values = static_cast<double>(result.width) * result.height * error_channels(colors);
  result.mse = (colors.translucent() ? detail::composited_error(colors.colors_, counts,
                                                                  detail::labels_per_color(labels, counts, colors.dedupe()),
                                                                  palette)
                                      : result.wcss) /
               values;
  result.output_index = apply_output_order(palette, result.usage);
  result.palette = std::move(palette);
  result.palette_seconds = settling.seconds();
  return result;
}

quantize_result quantize(const image_view& image, const quantize_options& options, backend& engine,
                         observer* watcher) {
  validate(resolve_automatic(options));  // before the histogram: a bad K costs nothing
  const color_set colors = analyse_colors(image, options.dedupe, engine, watcher, options.space);
  return quantize(colors, options, engine, watcher);
}

}  // namespace kmq
