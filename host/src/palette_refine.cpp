#include "palette_refine.hpp"

#include "hartigan.hpp"

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
std::vector<float> straight_centroids(const std::vector<packed_rgba>& straight, const std::vector<std::uint32_t>& counts,
                                      const std::vector<std::uint32_t>& labels, int k, bool translucent) {
  const std::size_t n = static_cast<std::size_t>(k);
  std::vector<std::uint64_t> weight(n, 0), alpha(n, 0), opaque(n, 0);
  std::vector<std::uint64_t> shown(n * 3, 0), opaque_sum(n * 3, 0);
  for (std::size_t i = 0; i < straight.size(); ++i) {
    const std::size_t j = labels[i];
    const std::uint64_t w = counts[i], a = alpha_of(straight[i]);
    weight[j] += w;
    alpha[j] += w * a;
    for (int c = 0; c < 3; ++c) shown[j * 3 + c] += w * a * channel_of(straight[i], c);
    if (a != 255) continue;
    opaque[j] += w;
    for (int c = 0; c < 3; ++c) opaque_sum[j * 3 + c] += w * channel_of(straight[i], c);
  }
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

refined_palette refine_palette(const std::vector<packed_rgba>& clustered, const std::vector<packed_rgba>& straight,
                               const std::vector<std::uint32_t>& counts, const std::vector<float>& centroids, int k,
                               backend& engine, bool dedupe, bool translucent) {
  engine.step(centroids.data(), k);
  std::vector<std::uint32_t> labels = engine.labels();
  if (!dedupe) {
    // Points run colour by colour in histogram order; a run shares one label.
    std::vector<std::uint32_t> per_color(clustered.size());
    std::size_t first = 0;
    for (std::size_t c = 0; c < clustered.size(); ++c) {
      per_color[c] = labels[first];
      first += counts[c];
    }
    labels.swap(per_color);
  }
  const hartigan_outcome outcome = hartigan_refine(clustered, counts, labels, k, hartigan_params{});
  refined_palette refined;
  refined.centroids = straight_centroids(straight, counts, labels, k, translucent);
  refined.moves = outcome.moves;
  refined.sweeps = outcome.sweeps;
  return refined;
}

}  // namespace kmq::detail
