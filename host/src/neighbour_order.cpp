#include "neighbour_order.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

#include "distance_bounds.hpp"

namespace kmq::detail {

namespace {

// The computed squared distance between centroids a and j: the same float
// operations as a point's, so the same rounding bound holds.
inline float centre_distance(const centroid_planes& centroids, int a, int j) {
  float d = 0.0f;
  for (int c = 0; c < channels; ++c) {
    const float diff = centroids.channel[c][a] - centroids.channel[c][j];
    d = c == 0 ? diff * diff : d + diff * diff;
  }
  return d;
}

}  // namespace

void order_neighbours(const centroid_planes& centroids, float largest_move, neighbour_order& order) {
  const int k = centroids.k;
  const int padded = centroids.padded_k;
  const bool resort = order.k != k || order.passes_since_sort + 1 >= neighbour_order::resort_every ||
                      largest_move >= neighbour_order::resort_move;
  order.passes_since_sort = resort ? 0 : order.passes_since_sort + 1;
  order.k = k;
  order.padded_k = padded;
  order.blocks = padded / centroid_lanes;
  const std::size_t entries = static_cast<std::size_t>(k) * padded;
  for (auto& plane : order.channel) plane.resize(entries);
  order.index.resize(entries);
  order.reach.resize(static_cast<std::size_t>(k) * order.blocks);
  const float far = std::numeric_limits<float>::infinity();
  std::vector<std::uint64_t> keys(static_cast<std::size_t>(k));
  std::vector<float> row(static_cast<std::size_t>(k));
  std::vector<float> distance(static_cast<std::size_t>(padded), far);
  for (int a = 0; a < k; ++a) {
    for (int j = 0; j < k; ++j) row[static_cast<std::size_t>(j)] = centre_distance(centroids, a, j);
    const std::size_t list = static_cast<std::size_t>(a) * padded;
    std::int32_t* index = order.index.data() + list;
    if (resort) {
      // Key: the distance's bits (a non-negative float orders as its bits do)
      // above the cluster's index: one integer sort gives the order and its ties.
      for (int j = 0; j < k; ++j) {
        std::uint32_t bits;
        std::memcpy(&bits, &row[static_cast<std::size_t>(j)], sizeof bits);
        keys[static_cast<std::size_t>(j)] = (static_cast<std::uint64_t>(bits) << 32) | static_cast<std::uint32_t>(j);
      }
      std::sort(keys.begin(), keys.end());
      for (int m = 0; m < padded; ++m) {
        index[m] = m < k ? static_cast<std::int32_t>(keys[static_cast<std::size_t>(m)] & 0xffffffffu) : m;
      }
    }
    // The order of an earlier pass is kept between sorts (it only decides
    // how soon a scan stops); the centres and reach are always this pass's.
    for (int m = 0; m < padded; ++m) {
      const bool real = m < k;
      const int j = index[m];
      for (int c = 0; c < channels; ++c) order.channel[c][list + m] = real ? centroids.channel[c][j] : far;
      distance[static_cast<std::size_t>(m)] = real ? row[static_cast<std::size_t>(j)] : far;
    }
    // Block b's reach: the least distance in it or any later block.
    float least = far;
    for (int b = order.blocks - 1; b >= 0; --b) {
      for (int l = 0; l < centroid_lanes; ++l) least = std::min(least, distance[static_cast<std::size_t>(b * centroid_lanes + l)]);
      order.reach[static_cast<std::size_t>(a) * order.blocks + b] = least == far ? far : lower_from(least);
    }
  }
}

void near_moves(const neighbour_order& order, const float* moved, std::vector<float>& near_shrink,
                std::vector<float>& beyond) {
  const std::size_t k = static_cast<std::size_t>(order.k);
  const std::size_t padded = static_cast<std::size_t>(order.padded_k);
  const std::size_t blocks = static_cast<std::size_t>(order.blocks);
  near_shrink.assign(k, 0.0f);
  beyond.assign(k, std::numeric_limits<float>::infinity());
  for (std::size_t a = 0; a < k; ++a) {
    const std::int32_t* list = order.index.data() + a * padded;
    for (int m = 0; m < centroid_lanes; ++m) {
      const std::size_t j = static_cast<std::size_t>(list[m]);
      if (j != a && j < k) near_shrink[a] = std::max(near_shrink[a], moved[j]);
    }
    if (blocks > 1) beyond[a] = order.reach[a * blocks + 1];
  }
}

}  // namespace kmq::detail
