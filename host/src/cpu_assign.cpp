#include "cpu_assign.hpp"

// The vector helpers below are inline and internal: the note that passing an
// AVX vector by value changes the ABI does not concern them.
#pragma GCC diagnostic ignored "-Wpsabi"

#include <cmath>
#include <cstring>
#include <limits>

namespace kmq::detail {

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define KMQ_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define KMQ_CLONES
#endif

// GCC/Clang vector extensions: eight clusters per operation, lowered to
// whatever the clone's instruction set has (two SSE registers or one AVX).
typedef float float_lanes __attribute__((vector_size(4 * centroid_lanes)));
typedef std::int32_t index_lanes __attribute__((vector_size(4 * centroid_lanes)));
constexpr index_lanes first_indices = {0, 1, 2, 3, 4, 5, 6, 7};
static_assert(centroid_lanes == 8, "first_indices lists one index per lane");

inline float_lanes load(const float* p) {
  float_lanes v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// The smallest lane, by halving: every lane ends up holding it.
// GCC and clang spell a constant lane shuffle differently; the lanes moved
// are the same, so both compilers give the same bits.
#if defined(__clang__)
#define KMQ_SHUFFLE(v, ...) __builtin_shufflevector((v), (v), __VA_ARGS__)
#else
#define KMQ_SHUFFLE(v, ...) __builtin_shuffle((v), index_lanes{__VA_ARGS__})
#endif

template <typename Lanes>
inline Lanes lowest_lanes(Lanes v) {
  v = v < KMQ_SHUFFLE(v, 4, 5, 6, 7, 0, 1, 2, 3) ? v : KMQ_SHUFFLE(v, 4, 5, 6, 7, 0, 1, 2, 3);
  v = v < KMQ_SHUFFLE(v, 2, 3, 0, 1, 6, 7, 4, 5) ? v : KMQ_SHUFFLE(v, 2, 3, 0, 1, 6, 7, 4, 5);
  v = v < KMQ_SHUFFLE(v, 1, 0, 3, 2, 5, 4, 7, 6) ? v : KMQ_SHUFFLE(v, 1, 0, 3, 2, 5, 4, 7, 6);
  return v;
}

inline float lowest(float_lanes v) { return lowest_lanes(v)[0]; }
inline std::int32_t lowest(index_lanes v) { return lowest_lanes(v)[0]; }

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

// Relative error bound of a computed squared distance: eleven float
// operations, each rounded by at most 2^-24, stay under 4e-7; 1e-5 leaves a
// wide safety factor.
constexpr float rounding = 1e-5f;
// Each float operation on a bound rounds by at most 2^-24 (6e-8) either way;
// widening by 5e-7 after a few of them keeps a lower bound below and an upper
// bound above the true distance.
constexpr float widen = 5e-7f;

// The bounds after a full scan, from the two nearest computed squared distances.
inline float upper_from(float own) { return std::sqrt(own * (1.0f + rounding)) * (1.0f + widen); }
inline float lower_from(float runner_up) { return std::sqrt(runner_up * (1.0f - rounding)) * (1.0f - widen); }

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

// Whether a point whose own centroid is within upper and every other beyond
// lower keeps its label under computed distances: then the own computed
// distance is at most upper^2 (1 + rounding) and every other at least
// lower^2 (1 - rounding), and the test (with its own roundings) keeps them apart.
inline bool separated(float upper, float lower) {
  return lower > 0.0f && upper * upper * (1.0f + 4.0f * rounding) < lower * lower;
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

}  // namespace

// The points of one block that the bounds could not settle, in three rounds
// of growing cost: the moved bounds alone, then the own distance, then the
// full scan. Each round is a branch-free loop that lists the few points left
// for the next, so the branch on which round settles a point, which no
// predictor can guess, is never taken per point.
constexpr std::size_t assign_block = 512;

KMQ_CLONES
void assign_points(const packed_rgba* points, const std::uint32_t* weights, std::uint32_t* labels, std::size_t begin,
                   std::size_t end, const centroid_planes& centroids, const hamerly_bounds& bounds,
                   assign_accumulator& out) {
  const float* c0 = centroids.channel[0];
  const float* c1 = centroids.channel[1];
  const float* c2 = centroids.channel[2];
  const float* c3 = centroids.channel[3];
  const std::uint32_t k = static_cast<std::uint32_t>(centroids.k);
  // separated()'s factors, and k, in lanes for the first round.
  const float_lanes down = float_lanes{} + (1.0f - widen), up = float_lanes{} + (1.0f + widen);
  const float_lanes margin = float_lanes{} + (1.0f + 4.0f * rounding);
  const index_lanes count = index_lanes{} + static_cast<std::int32_t>(k);
  std::uint32_t open[assign_block];
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
        const float_lanes lower = (lo - shrink) * down;
        const float_lanes upper = (hi + moved) * up;
        std::memcpy(bounds.lower + i, &lower, sizeof lower);
        std::memcpy(bounds.upper + i, &upper, sizeof upper);
        const index_lanes keep = tracked & (lower > 0.0f) & (upper * upper * margin < lower * lower);
        for (int l = 0; l < centroid_lanes; ++l) {
          open[left] = static_cast<std::uint32_t>(i + l);
          left += keep[l] == 0;
        }
      }
      for (; i < stop; ++i) {
        const std::uint32_t previous = labels[i];
        const bool tracked = previous < k;
        const std::uint32_t own = tracked ? previous : 0;
        const float lower = (bounds.lower[i] - bounds.shrink[own]) * (1.0f - widen);
        const float upper = (bounds.upper[i] + bounds.moved[own]) * (1.0f + widen);
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
    for (std::size_t t = 0; t < left; ++t) {
      const std::uint32_t i = open[t];
      const packed_rgba x = points[i];
      const std::uint32_t previous = labels[i];
      const bool tracked = bounds.valid && previous < k;
      // Lane l keeps the nearest and second nearest of clusters l, l + lanes,
      // ...; strict < keeps the lowest index within a lane, and the merge below
      // across lanes.
      const float_lanes px0 = float_lanes{} + static_cast<float>(channel_of(x, 0));
      const float_lanes px1 = float_lanes{} + static_cast<float>(channel_of(x, 1));
      const float_lanes px2 = float_lanes{} + static_cast<float>(channel_of(x, 2));
      const float_lanes px3 = float_lanes{} + static_cast<float>(channel_of(x, 3));
      float_lanes nearest = float_lanes{} + std::numeric_limits<float>::infinity();
      float_lanes second = nearest;
      index_lanes nearest_index = first_indices;
      index_lanes index = first_indices;
      for (int j0 = 0; j0 < centroids.padded_k; j0 += centroid_lanes) {
        const float_lanes d0 = px0 - load(c0 + j0), d1 = px1 - load(c1 + j0);
        const float_lanes d2 = px2 - load(c2 + j0), d3 = px3 - load(c3 + j0);
        float_lanes d = d0 * d0;
        d = d + d1 * d1;
        d = d + d2 * d2;
        d = d + d3 * d3;
        const index_lanes nearer = d < nearest;
        second = nearer ? nearest : (d < second ? d : second);
        nearest = nearer ? d : nearest;
        nearest_index = nearer ? index : nearest_index;
        index += centroid_lanes;
      }
      // Across lanes: the smallest distance, and among the lanes that have it
      // the lowest index; the runner-up is the best lane's second or another
      // lane's first (each cluster lives in exactly one lane).
      const float best_distance = lowest(nearest);
      const std::uint32_t best = static_cast<std::uint32_t>(
          lowest(nearest == best_distance ? nearest_index : index_lanes{} + std::numeric_limits<std::int32_t>::max()));
      const float runner_up = lowest(nearest_index == static_cast<std::int32_t>(best) ? second : nearest);
      bounds.upper[i] = upper_from(best_distance);
      bounds.lower[i] = lower_from(runner_up);

      const std::uint64_t w = weights[i];
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
