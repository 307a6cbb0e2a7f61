// The CPU backend's integer loops (cpu_assign.hpp): the seeding's candidate
// potentials and the nearest palette entry under palette_distance(). Kept
// apart from the float assignment of Lloyd's passes in cpu_assign.cpp.
#include "cpu_assign.hpp"

// The vector helpers (cpu_lanes.hpp) are inline and internal: the note that
// passing an AVX vector by value changes the ABI does not concern them.
#pragma GCC diagnostic ignored "-Wpsabi"

#include <cstring>
#include <limits>

#include "cpu_lanes.hpp"

namespace kmq::detail {

KMQ_CLONES
void candidate_potentials(const packed_rgba* points, const std::uint32_t* weights, const std::uint32_t* distance,
                          std::size_t begin, std::size_t end, const packed_rgba* candidates, int count,
                          std::uint64_t* potentials) {
  // Candidates outside, points inside: the inner loop is plain integer
  // arithmetic over consecutive points, which the compiler vectorises.
  constexpr std::size_t block = 4096;
  for (std::size_t b = begin; b < end; b += block) {
    const std::size_t stop = b + block < end ? b + block : end;
    for (int c = 0; c < count; ++c) {
      const std::int32_t r = static_cast<std::int32_t>(channel_of(candidates[c], 0));
      const std::int32_t g = static_cast<std::int32_t>(channel_of(candidates[c], 1));
      const std::int32_t bl = static_cast<std::int32_t>(channel_of(candidates[c], 2));
      const std::int32_t a = static_cast<std::int32_t>(channel_of(candidates[c], 3));
      std::uint64_t total = 0;
      for (std::size_t i = b; i < stop; ++i) {
        const packed_rgba x = points[i];
        const std::int32_t d0 = static_cast<std::int32_t>(x & 0xffu) - r;
        const std::int32_t d1 = static_cast<std::int32_t>((x >> 8) & 0xffu) - g;
        const std::int32_t d2 = static_cast<std::int32_t>((x >> 16) & 0xffu) - bl;
        const std::int32_t d3 = static_cast<std::int32_t>(x >> 24) - a;
        const std::uint32_t d = static_cast<std::uint32_t>(d0 * d0 + d1 * d1 + d2 * d2 + d3 * d3);
        const std::uint32_t nearest = d < distance[i] ? d : distance[i];
        total += static_cast<std::uint64_t>(weights[i]) * nearest;
      }
      potentials[c] += total;
    }
  }
}

KMQ_CLONES
void nearest_palette_entries(const packed_rgba* points, std::size_t begin, std::size_t end, const palette_planes& palette,
                             std::uint32_t* labels) {
  for (std::size_t i = begin; i < end; ++i) {
    const packed_rgba x = points[i];
    const index_lanes x0 = index_lanes{} + static_cast<std::int32_t>(channel_of(x, 0));
    const index_lanes x1 = index_lanes{} + static_cast<std::int32_t>(channel_of(x, 1));
    const index_lanes x2 = index_lanes{} + static_cast<std::int32_t>(channel_of(x, 2));
    const index_lanes x3 = index_lanes{} + static_cast<std::int32_t>(channel_of(x, 3));
    // palette_distance()'s penalty: which entries an opaque or a transparent
    // colour must not cross to.
    const std::uint32_t a = alpha_of(x);
    const std::int32_t* penalty = a == 255 ? palette.penalty_opaque : a == 0 ? palette.penalty_clear : palette.penalty_other;
    index_lanes nearest = index_lanes{} + std::numeric_limits<std::int32_t>::max();
    index_lanes nearest_index = first_indices;
    index_lanes index = first_indices;
    for (int j0 = 0; j0 < palette.padded_count; j0 += centroid_lanes) {
      index_lanes e0, e1, e2, e3, extra;
      std::memcpy(&e0, palette.channel[0] + j0, sizeof e0);
      std::memcpy(&e1, palette.channel[1] + j0, sizeof e1);
      std::memcpy(&e2, palette.channel[2] + j0, sizeof e2);
      std::memcpy(&e3, palette.channel[3] + j0, sizeof e3);
      std::memcpy(&extra, penalty + j0, sizeof extra);
      const index_lanes d0 = x0 - e0, d1 = x1 - e1, d2 = x2 - e2, d3 = x3 - e3;
      const index_lanes d = d0 * d0 + d1 * d1 + d2 * d2 + d3 * d3 + extra;
      const index_lanes nearer = d < nearest;  // strict: the lowest index within a lane
      nearest = nearer ? d : nearest;
      nearest_index = nearer ? index : nearest_index;
      index += centroid_lanes;
    }
    // Integer distances are exact: the smallest, and the lowest index among
    // the lanes that have it.
    const std::int32_t best_distance = lowest(nearest);
    labels[i] = static_cast<std::uint32_t>(
        lowest(nearest == best_distance ? nearest_index : index_lanes{} + std::numeric_limits<std::int32_t>::max()));
  }
}

palette_planes make_palette_planes(const packed_rgba* palette, int count) {
  palette_planes planes;
  planes.count = count;
  planes.padded_count = (count + centroid_lanes - 1) / centroid_lanes * centroid_lanes;
  // Lanes past the palette: a distance above any real one (< 2^21).
  constexpr std::int32_t never = std::int32_t{1} << 28;
  for (int j = 0; j < planes.padded_count; ++j) {
    const bool real = j < count;
    const packed_rgba e = real ? palette[j] : 0u;
    for (int c = 0; c < channels; ++c) planes.channel[c][j] = static_cast<std::int32_t>(channel_of(e, c));
    const std::uint32_t alpha = alpha_of(e);
    constexpr auto penalty = static_cast<std::int32_t>(alpha_class_penalty);
    planes.penalty_opaque[j] = !real ? never : alpha != 255 ? penalty : 0;
    planes.penalty_clear[j] = !real ? never : alpha != 0 ? penalty : 0;
    planes.penalty_other[j] = !real ? never : 0;
  }
  return planes;
}

}  // namespace kmq::detail
