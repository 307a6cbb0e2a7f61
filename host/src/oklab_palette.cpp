#include "oklab_palette.hpp"

#include <algorithm>

#include "kmq/oklab.hpp"

namespace kmq::detail {

std::vector<packed_rgba> palette_from_oklab(const std::vector<float>& centroids) {
  std::vector<packed_rgba> palette;
  for (std::size_t j = 0; j * channels < centroids.size(); ++j) palette.push_back(from_oklab_fixed(&centroids[j * channels]));
  std::sort(palette.begin(), palette.end());
  palette.erase(std::unique(palette.begin(), palette.end()), palette.end());
  return palette;
}

std::vector<packed_rgba> palette_from_exact_oklab(const std::vector<packed_rgba>& colors,
                                                  const std::vector<std::uint32_t>& counts,
                                                  const std::vector<std::uint32_t>& labels, std::size_t clusters) {
  std::vector<double> sums(clusters * 3, 0.0), weight(clusters, 0.0);
  for (std::size_t i = 0; i < colors.size(); ++i) {
    const oklab_color lab = to_oklab(colors[i]);
    const double w = counts[i];
    double* sum = &sums[labels[i] * 3];
    sum[0] += w * lab.l;
    sum[1] += w * lab.a;
    sum[2] += w * lab.b;
    weight[labels[i]] += w;
  }
  std::vector<packed_rgba> palette;
  for (std::size_t j = 0; j < clusters; ++j) {
    if (weight[j] == 0.0) continue;
    const oklab_color mean{sums[j * 3] / weight[j], sums[j * 3 + 1] / weight[j], sums[j * 3 + 2] / weight[j]};
    palette.push_back(from_oklab(mean, 255));
  }
  std::sort(palette.begin(), palette.end());
  palette.erase(std::unique(palette.begin(), palette.end()), palette.end());
  return palette;
}

}  // namespace kmq::detail
