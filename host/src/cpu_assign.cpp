// The CPU backend's float loops for Lloyd's passes (cpu_assign.hpp): the assignment
// under the distance bounds and the farthest point; the integer loops are in
// cpu_assign_integer.cpp.
#include "cpu_assign.hpp"

// The vector helpers (cpu_lanes.hpp) are inline and internal: the note that
// passing an AVX vector by value changes the ABI does not concern them.
#pragma GCC diagnostic ignored "-Wpsabi"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "cpu_lanes.hpp"
#include "distance_bounds.hpp"
#include "neighbour_order.hpp"

namespace kmq::detail {

centroid_planes make_centroid_planes(const float* centroids, int k) {
  centroid_planes planes;
  planes.k = k;
  planes.padded_k = (k + centroid_lanes - 1) / centroid_lanes * centroid_lanes;
  const float far = std::numeric_limits<float>::infinity();
  for (int j = 0; j < planes.padded_k; ++j) {
    for (int c = 0; c < channels; ++c) planes.channel[c][j] = j < k ? centroids[channels * j + c] : far;
  }
  return planes;
}

namespace {

// centroid_distance(), term by term, against the planes.
inline float own_distance(float x0, float x1, float x2, float x3, const centroid_planes& c, std::uint32_t j) {
  const float d0 = x0 - c.channel[0][j], d1 = x1 - c.channel[1][j], d2 = x2 - c.channel[2][j],
              d3 = x3 - c.channel[3][j];
  float d = d0 * d0;
  d = d + d1 * d1;
  d = d + d2 * d2;
  d = d + d3 * d3;
  return d;
}

inline void add_point(assign_accumulator& out, std::uint32_t cluster, packed_rgba x, std::uint64_t w) {
  out.count[cluster] += w;
  std::uint64_t* sum = out.sum + static_cast<std::size_t>(cluster) * channels;
  sum[0] += w * channel_of(x, 0);
  sum[1] += w * channel_of(x, 1);
  sum[2] += w * channel_of(x, 2);
  sum[3] += w * channel_of(x, 3);
  out.sq_norm[cluster] += w * squared_norm(x);
}

// One point's channels, in every lane.
struct point_lanes {
  float_lanes c0, c1, c2, c3;
  __attribute__((always_inline)) explicit point_lanes(packed_rgba x)
      : c0(float_lanes{} + static_cast<float>(channel_of(x, 0))), c1(float_lanes{} + static_cast<float>(channel_of(x, 1))),
        c2(float_lanes{} + static_cast<float>(channel_of(x, 2))), c3(float_lanes{} + static_cast<float>(channel_of(x, 3))) {}
  __attribute__((always_inline)) float_lanes distance(const float* p0, const float* p1, const float* p2, const float* p3) const {
    const float_lanes d0 = c0 - load(p0), d1 = c1 - load(p1), d2 = c2 - load(p2), d3 = c3 - load(p3);
    float_lanes d = d0 * d0;
    d = d + d1 * d1;
    d = d + d2 * d2;
    d = d + d3 * d3;
    return d;
  }
};

// What a scan leaves: per lane the nearest cluster read, its distance and
// the second nearest distance; and at least the true distance to every
// cluster it did not read.
struct lane_scan {
  float_lanes nearest, second;
  index_lanes nearest_index;
  float beyond = std::numeric_limits<float>::infinity();
};

// The own cluster's neighbour list, nearest centres first. A lane holds any
// clusters, so a tie goes to the lower index explicitly. Stops once the rest
// are farther than the own centroid (so the label is the full scan's) and,
// roughly, than some lane's runner-up (so the lower bound is about as tight
// as the full scan's; it is a valid bound either way). own_upper: at least
// the true distance to the own centroid.
inline __attribute__((always_inline)) lane_scan scan_list(const point_lanes& x, const neighbour_order& order,
                                                          std::uint32_t own, float own_upper) {
  lane_scan s;
  s.nearest = float_lanes{} + std::numeric_limits<float>::infinity();
  s.second = s.nearest;
  s.nearest_index = index_lanes{} + std::numeric_limits<std::int32_t>::max();
  const std::size_t list = static_cast<std::size_t>(own) * order.padded_k;
  const float* reach = order.reach.data() + static_cast<std::size_t>(own) * order.blocks;
  for (int b = 0; b < order.blocks; ++b) {
    if (b >= 2) {  // from then on every lane has a runner-up
      const float rest = (reach[b] - own_upper) * (1.0f - widen);
      if (separated(own_upper, rest) && rest * rest >= lowest(s.second)) {
        s.beyond = rest;
        break;
      }
    }
    const std::size_t m = list + static_cast<std::size_t>(b) * centroid_lanes;
    const float_lanes d = x.distance(order.channel[0].data() + m, order.channel[1].data() + m,
                                     order.channel[2].data() + m, order.channel[3].data() + m);
    index_lanes index;
    std::memcpy(&index, order.index.data() + m, sizeof index);
    const index_lanes nearer = (d < s.nearest) | ((d == s.nearest) & (index < s.nearest_index));
    s.second = nearer ? s.nearest : (d < s.second ? d : s.second);
    s.nearest = nearer ? d : s.nearest;
    s.nearest_index = nearer ? index : s.nearest_index;
  }
  return s;
}

// Across lanes: the smallest distance, and among the lanes that have it the
// lowest index; the runner-up is the best lane's second or another lane's
// first (each cluster lives in exactly one lane).
struct lane_winner {
  float distance;
  std::uint32_t index;
  float runner_up;
};
inline __attribute__((always_inline)) lane_winner merge_lanes(float_lanes nearest, float_lanes second,
                                                              index_lanes nearest_index) {
  lane_winner won;
  won.distance = lowest(nearest);
  won.index = static_cast<std::uint32_t>(
      lowest(nearest == won.distance ? nearest_index : index_lanes{} + std::numeric_limits<std::int32_t>::max()));
  won.runner_up = lowest(nearest_index == static_cast<std::int32_t>(won.index) ? second : nearest);
  return won;
}

// Point i's new label and its share of the sums: all of them for a point
// without a label, else only a move's difference.
inline __attribute__((always_inline)) void relabel(std::uint32_t i, std::uint32_t best, packed_rgba x, std::uint64_t w,
                                                   bool tracked, std::uint32_t* labels, assign_accumulator& out) {
  const std::uint32_t previous = labels[i];
  if (!tracked) {
    add_point(out, best, x, w);
    if (previous != best) ++out.changed;
  } else if (previous != best) {
    add_point(out, best, x, w);
    add_point(out, previous, x, 0 - w);  // modulo 2^64: subtracts exactly
    ++out.changed;
  }
  labels[i] = best;
}

// A list scan's end: point i's bounds (the lower one no higher than what the
// scan did not read), label and sums.
inline __attribute__((always_inline)) void settle(const lane_scan& s, std::uint32_t i, packed_rgba x, std::uint64_t w,
                                                  bool tracked, std::uint32_t* labels, const hamerly_bounds& bounds,
                                                  assign_accumulator& out) {
  const lane_winner won = merge_lanes(s.nearest, s.second, s.nearest_index);
  bounds.upper[i] = upper_from(won.distance);
  bounds.lower[i] = std::min(lower_from(won.runner_up), s.beyond);
  relabel(i, won.index, x, w, tracked, labels, out);
}

}  // namespace

// The points of one block that the bounds could not settle, in three rounds
// of growing cost: the moved bounds alone, then the own distance, then the
// full scan. Each round is a branch-free loop that lists the few points left
// for the next, so the branch on which round settles a point, which no
// predictor can guess, is never taken per point.
constexpr std::size_t assign_block = 512;

// For each set of lanes (bit l: lane l), the lanes in order and how many.
typedef std::uint8_t lane_list __attribute__((vector_size(centroid_lanes)));
struct lane_lists {
  std::uint8_t lanes[1 << centroid_lanes][centroid_lanes];
  std::uint8_t count[1 << centroid_lanes];
};
constexpr lane_lists make_lane_lists() {
  lane_lists lists{};
  for (int bits = 0; bits < (1 << centroid_lanes); ++bits) {
    int n = 0;
    for (int l = 0; l < centroid_lanes; ++l) {
      if (bits & (1 << l)) lists.lanes[bits][n++] = static_cast<std::uint8_t>(l);
    }
    lists.count[bits] = static_cast<std::uint8_t>(n);
  }
  return lists;
}
constexpr lane_lists open_lanes = make_lane_lists();
constexpr index_lanes lane_bits = {1, 2, 4, 8, 16, 32, 64, 128};

KMQ_CLONES
void assign_points(const packed_rgba* points, const std::uint32_t* weights, std::uint32_t* labels, std::size_t begin,
                   std::size_t end, const centroid_planes& centroids, const hamerly_bounds& bounds,
                   assign_accumulator& out) {
  const std::uint32_t k = static_cast<std::uint32_t>(centroids.k);
  // separated()'s factors, and k, in lanes for the first round.
  const float_lanes down = float_lanes{} + (1.0f - widen), up = float_lanes{} + (1.0f + widen);
  const float_lanes margin = float_lanes{} + (1.0f + 4.0f * rounding);
  const index_lanes count = index_lanes{} + static_cast<std::int32_t>(k);
  // Room for a whole lane list written past the last open point.
  std::uint32_t open[assign_block + centroid_lanes];
  for (std::size_t block = begin; block < end; block += assign_block) {
    const std::size_t stop = block + assign_block < end ? block + assign_block : end;
    std::size_t left = 0;
    if (bounds.valid) {
      // Triangle inequality: the bounds move by how far the centroids did. A
      // point without a label below k is always left for the full scan. Eight
      // points at a time, then the rest one by one: the same float operations
      // as separated(), in lanes.
      std::size_t i = block;
      for (; i + centroid_lanes <= stop; i += centroid_lanes) {
        index_lanes label;
        std::memcpy(&label, labels + i, sizeof label);
        // Labels are below 2^31 or "none" (all ones, negative here).
        const index_lanes tracked = (label >= 0) & (label < count);
        const index_lanes own = tracked ? label : index_lanes{};
        float_lanes shrink, moved, lo, hi;
        for (int l = 0; l < centroid_lanes; ++l) {
          shrink[l] = bounds.shrink[own[l]];
          moved[l] = bounds.moved[own[l]];
        }
        std::memcpy(&lo, bounds.lower + i, sizeof lo);
        std::memcpy(&hi, bounds.upper + i, sizeof hi);
        float_lanes lower = (lo - shrink) * down;
        const float_lanes upper = (hi + moved) * up;
        if (bounds.near_shrink) {
          float_lanes near_shrink, beyond;
          for (int l = 0; l < centroid_lanes; ++l) {
            near_shrink[l] = bounds.near_shrink[own[l]];
            beyond[l] = bounds.beyond[own[l]];
          }
          const float_lanes near = lo - near_shrink, far = beyond - upper;
          const float_lanes tighter = (near < far ? near : far) * down;
          lower = tighter > lower ? tighter : lower;
        }
        std::memcpy(bounds.lower + i, &lower, sizeof lower);
        std::memcpy(bounds.upper + i, &upper, sizeof upper);
        const index_lanes keep = tracked & (lower > 0.0f) & (upper * upper * margin < lower * lower);
        // The lanes left open as the bits of one number, then their points
        // listed at once (a table of lane lists per number): reading the
        // lanes one by one cost more than the bounds' arithmetic.
        const int bits = lane_sum(keep == 0 ? lane_bits : index_lanes{});
        lane_list lanes;
        std::memcpy(&lanes, open_lanes.lanes[bits], sizeof lanes);
        index_lanes listed = __builtin_convertvector(lanes, index_lanes);
        listed += static_cast<std::int32_t>(i);
        std::memcpy(open + left, &listed, sizeof listed);
        left += static_cast<std::size_t>(open_lanes.count[bits]);
      }
      for (; i < stop; ++i) {
        const std::uint32_t previous = labels[i];
        const bool tracked = previous < k;
        const std::uint32_t own = tracked ? previous : 0;
        float lower = (bounds.lower[i] - bounds.shrink[own]) * (1.0f - widen);
        const float upper = (bounds.upper[i] + bounds.moved[own]) * (1.0f + widen);
        if (bounds.near_shrink) {
          const float tighter = std::min(bounds.lower[i] - bounds.near_shrink[own], bounds.beyond[own] - upper) * (1.0f - widen);
          lower = std::max(lower, tighter);
        }
        bounds.lower[i] = lower;
        bounds.upper[i] = upper;
        open[left] = static_cast<std::uint32_t>(i);
        left += !(tracked & separated(upper, lower));
      }
      // Tighten the upper bound to the own distance itself and try again.
      std::size_t still = 0;
      for (std::size_t t = 0; t < left; ++t) {
        const std::uint32_t i = open[t];
        const packed_rgba x = points[i];
        const std::uint32_t previous = labels[i];
        const bool tracked = previous < k;
        const float upper = upper_from(own_distance(static_cast<float>(channel_of(x, 0)), static_cast<float>(channel_of(x, 1)),
                                                    static_cast<float>(channel_of(x, 2)), static_cast<float>(channel_of(x, 3)),
                                                    centroids, tracked ? previous : 0));
        bounds.upper[i] = upper;
        open[still] = i;
        still += !(tracked & separated(upper, bounds.lower[i]));
      }
      left = still;
    } else {
      for (std::size_t i = block; i < stop; ++i) open[left++] = static_cast<std::uint32_t>(i);
    }
    out.scanned += left;
    // Two loops rather than a branch per point in one, and the full scan's
    // without the lane_scan record settle() takes: that cost 3-5 % of the
    // pass at K=16 (measured), where lists never run. A point whose list
    // scan could not stop before reading its last block (its own centroid too far
    // for even the list's farthest reach, as after a new run's seeds, when
    // a label names an unrelated centroid) takes the full scan instead: the
    // same distances, label and bounds, without the list's indices.
    std::size_t whole = left;
    if (bounds.neighbours) {
      const neighbour_order& order = *bounds.neighbours;
      const float* reach = order.reach.data();
      std::uint32_t full[assign_block];
      std::size_t listed = 0;
      whole = 0;
      for (std::size_t t = 0; t < left; ++t) {
        const std::uint32_t i = open[t];
        const bool tracked = bounds.valid && labels[i] < k;
        const float own_upper = tracked ? bounds.upper[i] : std::numeric_limits<float>::infinity();
        const float last_reach = reach[static_cast<std::size_t>(tracked ? labels[i] : 0) * order.blocks + order.blocks - 1];
        const bool may_stop = separated(own_upper, (last_reach - own_upper) * (1.0f - widen));
        open[listed] = i;
        listed += may_stop;
        full[whole] = i;
        whole += !may_stop;
      }
      for (std::size_t t = 0; t < listed; ++t) {
        const std::uint32_t i = open[t];
        const bool tracked = bounds.valid && labels[i] < k;
        const point_lanes x(points[i]);
        const float infinite = std::numeric_limits<float>::infinity();
        settle(scan_list(x, order, tracked ? labels[i] : 0, tracked ? bounds.upper[i] : infinite), i, points[i],
               weights[i], tracked, labels, bounds, out);
      }
      std::memcpy(open, full, whole * sizeof full[0]);
    }
    const float* c0 = centroids.channel[0];
    const float* c1 = centroids.channel[1];
    const float* c2 = centroids.channel[2];
    const float* c3 = centroids.channel[3];
    for (std::size_t t = 0; t < whole; ++t) {
      const std::uint32_t i = open[t];
      const packed_rgba x = points[i];
      // Lane l keeps the nearest and second nearest of clusters l, l + lanes,
      // ...; strict < keeps the lowest index within a lane.
      const point_lanes lanes(x);
      float_lanes nearest = float_lanes{} + std::numeric_limits<float>::infinity();
      float_lanes second = nearest;
      index_lanes nearest_index = first_indices;
      index_lanes index = first_indices;
      for (int j0 = 0; j0 < centroids.padded_k; j0 += centroid_lanes) {
        const float_lanes d = lanes.distance(c0 + j0, c1 + j0, c2 + j0, c3 + j0);
        const index_lanes nearer = d < nearest;
        second = nearer ? nearest : (d < second ? d : second);
        nearest = nearer ? d : nearest;
        nearest_index = nearer ? index : nearest_index;
        index += centroid_lanes;
      }
      const lane_winner won = merge_lanes(nearest, second, nearest_index);
      bounds.upper[i] = upper_from(won.distance);
      bounds.lower[i] = lower_from(won.runner_up);
      relabel(i, won.index, x, weights[i], bounds.valid && labels[i] < k, labels, out);
    }
  }
}

KMQ_CLONES
void find_farthest(const packed_rgba* points, const std::uint32_t* labels, std::size_t begin, std::size_t end,
                    const centroid_planes& centroids, float& distance, std::uint32_t& index) {
  distance = -1.0f;
  index = 0;
  for (std::size_t i = begin; i < end; ++i) {
    const packed_rgba x = points[i];
    const float d = own_distance(static_cast<float>(channel_of(x, 0)), static_cast<float>(channel_of(x, 1)),
                                 static_cast<float>(channel_of(x, 2)), static_cast<float>(channel_of(x, 3)), centroids,
                                 labels[i]);
    if (d > distance) {  // ascending i: ties keep the lowest index
      distance = d;
      index = static_cast<std::uint32_t>(i);
    }
  }
}

}  // namespace kmq::detail
