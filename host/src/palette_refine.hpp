// The step between Lloyd's iterations and the palette: Hartigan's method over
// the image's distinct colours (hartigan.hpp), then the centroids as straight
// RGBA colours ready to round.
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

#include "kmq/backend.hpp"
#include "point_groups.hpp"

namespace kmq::detail {

struct refined_palette {
  std::vector<float> centroids;  // 4 per non-empty cluster, straight RGBA
  std::vector<std::uint32_t> labels;  // per colour: its cluster's rank among the non-empty ones (centroid index)
  std::uint64_t moves = 0;
  int sweeps = 0;
  double wcss = 0.0;  // of the refined partition against its means, in the clustered space
  // What runs are compared by: wcss, plus, where the palette is these
  // centroids rounded to bytes (opaque sRGB clustering), what rounding adds
  // (each cluster's weight times its centroid's squared distance to the
  // rounded one). On an image of low error the rounding is a large part of it.
  double rounded_wcss = 0.0;
};

// Hartigan's method and the swap step over the image's colours, from
// several runs' centroids (one per restart). clustered: the colours as the
// backend clusters them (premultiplied or not); straight: the same colours as
// the image has them, index for index; counts: their pixel counts;
// centroids: each run's k, in the clustered space. The backend labels the
// points against each run in turn (the same labels on every backend; with
// dedupe false its points are the pixels, colour by colour), unless the run
// brought those labels (known_labels[r] not empty: kmeans_result::final_labels,
// the same labels), then the host
// refines the runs on up to `threads` threads at once, each on its own, so
// the result does not depend on the threads. rounds_to_bytes: the palette will
// be the refined centroids rounded (opaque sRGB), so runs are compared by
// rounded_wcss. groups: the colours' groups of equal clustered values where
// the caller has them (translucent; else built here when translucent).
// Returns the index of the run of least refined error (ties: the earlier)
// and its refinement.
std::pair<std::size_t, refined_palette> refine_best(const std::vector<packed_rgba>& clustered,
                                                    const std::vector<packed_rgba>& straight,
                                                    const std::vector<std::uint32_t>& counts,
                                                    const std::vector<const std::vector<float>*>& centroids,
                                                    const std::vector<const std::vector<std::uint32_t>*>& known_labels,
                                                    int k, backend& engine, bool dedupe, bool translucent,
                                                    bool rounds_to_bytes, int threads,
                                                    const point_groups* groups = nullptr);

// Per-point labels as per-colour labels: with dedupe the points are the
// colours; without, the pixels, colour by colour (counts[c] of each), and a
// colour's pixels share one label.
std::vector<std::uint32_t> labels_per_color(std::vector<std::uint32_t> labels, const std::vector<std::uint32_t>& counts,
                                            bool dedupe);


}  // namespace kmq::detail
