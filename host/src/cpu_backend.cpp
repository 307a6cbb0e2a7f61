// The CPU backend: the reference every other backend must match bit for bit.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "kmq/cpu_backend.hpp"
#include "kmq/error.hpp"
#include "cpu_assign.hpp"
#include "cpu_greedy_seed.hpp"
#include "neighbour_order.hpp"
#include "parallel.hpp"

namespace kmq {
namespace {

constexpr std::uint32_t no_label = std::numeric_limits<std::uint32_t>::max();

// The farthest point seen so far; ordering (distance desc, index asc) is total,
// so merging chunk results in any order gives the same point.
struct farthest_point {
  float distance = -1.0f;
  std::uint32_t index = 0;
  void offer(float d, std::uint32_t i) {
    if (d > distance || (d == distance && i < index)) {
      distance = d;
      index = i;
    }
  }
};

struct chunk_stats {
  std::vector<std::uint64_t> count, sum, sq_norm;
  std::uint64_t changed = 0;
  std::uint64_t scanned = 0;
  explicit chunk_stats(int k) : count(k), sum(static_cast<std::size_t>(k) * channels), sq_norm(k) {}
};

class cpu_backend final : public backend {
 public:
  explicit cpu_backend(int threads) : threads_(detail::resolve_thread_count(threads)) {}

  std::string name() const override { return "cpu"; }
  std::string device() const override { return std::to_string(threads_) + (threads_ == 1 ? " thread" : " threads"); }
  int threads() const override { return threads_; }

  color_histogram histogram(const packed_rgba* pixels, std::size_t count) override {
    return build_color_histogram(pixels, count);
  }

  void upload(const packed_rgba* points, const std::uint32_t* weights, std::size_t count) override {
    if (count > std::numeric_limits<std::uint32_t>::max()) {
      throw error(error_kind::invalid_argument, "more than 2^32 - 1 points");
    }
    auto set = std::make_shared<point_set>();
    set->points.assign(points, points + count);
    set->weights.assign(weights, weights + count);
    adopt(std::move(set));
  }

  std::unique_ptr<backend> fork(int threads, std::shared_ptr<const thread_share> share) override {
    auto twin = std::make_unique<cpu_backend>(threads);
    if (set_) twin->adopt(set_);
    twin->share_ = std::move(share);
    return twin;
  }

  std::size_t size() const override { return count_; }

  void seed_begin(packed_rgba first_centre) override {
    prefix_.clear();
    for_chunks(1, [&](int, std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) distance_[i] = squared_distance(points_[i], first_centre);
    });
  }

  void seed_add_centre(packed_rgba centre) override {
    prefix_.clear();
    for_chunks(1, [&](int, std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) {
        distance_[i] = std::min(distance_[i], squared_distance(points_[i], centre));
      }
    });
  }

  std::uint64_t seed_potential() override {
    std::uint64_t potential = 0;
    std::vector<std::uint64_t> partial(static_cast<std::size_t>(chunks(1)), 0);
    for_chunks(1, [&](int chunk, std::size_t begin, std::size_t end) {
      std::uint64_t total = 0;
      for (std::size_t i = begin; i < end; ++i) total += std::uint64_t{weights_[i]} * distance_[i];
      partial[static_cast<std::size_t>(chunk)] = total;
    });
    for (std::uint64_t p : partial) potential += p;
    return potential;
  }

  void seed_sample(const std::uint64_t* targets, int count, std::uint32_t* indices) override {
    if (prefix_.empty() && count_ != 0) {
      prefix_.resize(count_);
      std::uint64_t running = 0;
      for (std::size_t i = 0; i < count_; ++i) {
        running += std::uint64_t{weights_[i]} * distance_[i];
        prefix_[i] = running;
      }
    }
    for (int t = 0; t < count; ++t) {
      const auto it = std::upper_bound(prefix_.begin(), prefix_.end(), targets[t]);
      if (it == prefix_.end()) throw error(error_kind::internal, "seed_sample: target beyond the potential");
      indices[t] = static_cast<std::uint32_t>(it - prefix_.begin());
    }
  }

  void seed_candidate_potentials(const packed_rgba* candidates, int count, std::uint64_t* potentials) override {
    if (count <= 0) return;
    detail::all_candidate_potentials(seeding_points(), candidates, count, potentials);
  }

  bool seed_greedy(seeded_random& random, int k, int trials, std::vector<packed_rgba>& centres) override {
    prefix_.clear();
    detail::greedy_seed(seeding_points(), random, k, trials, centres);
    return true;
  }

  step_stats step(const float* centroids, int k) override;

  void assign_to_palette(const packed_rgba* palette, int count) override {
    if (count < 1 || count > max_colors) throw error(error_kind::invalid_argument, "assign_to_palette: size out of range");
    previous_centroids_.clear();  // the labels become palette indices: bounds no longer apply
    const detail::palette_planes planes = detail::make_palette_planes(palette, count);
    for_chunks(static_cast<std::size_t>(count), [&](int, std::size_t begin, std::size_t end) {
      detail::nearest_palette_entries(points_, begin, end, planes, labels_.data());
    });
  }

  std::vector<std::uint32_t> labels() override { return labels_; }

  void label_pixels(const std::uint32_t* pixel_to_point, std::size_t pixel_count, std::uint8_t* out) override {
    detail::parallel_chunks(
        threads_, pixel_count,
        [&](int, std::size_t begin, std::size_t end) {
          for (std::size_t p = begin; p < end; ++p) out[p] = static_cast<std::uint8_t>(labels_[pixel_to_point[p]]);
        },
        1);
  }

 private:
  // The points and weights one upload() made, shared with the forks made
  // from it (they only read them); labels, bounds and seeding state are each
  // backend's own, fresh: labels "none".
  struct point_set {
    std::vector<packed_rgba> points;
    std::vector<std::uint32_t> weights;
  };
  void adopt(std::shared_ptr<const point_set> set) {
    set_ = std::move(set);
    points_ = set_->points.data();
    weights_ = set_->weights.data();
    count_ = set_->points.size();
    const std::size_t count = count_;
    labels_.assign(count, no_label);
    lower_.assign(count, 0.0f);
    upper_.assign(count, 0.0f);
    previous_centroids_.clear();
    distance_.assign(count, 0);
    prefix_.clear();
  }

  detail::greedy_seed_points seeding_points() {
    return {points_, weights_, distance_.data(), count_, threads_};
  }

  // cost: the distances one point costs in the pass (see parallel.hpp); a
  // pass's partial results are sized with the same cost it runs with.
  int chunks(std::size_t cost) const { return detail::chunk_count(threads_, count_, cost); }

  template <typename Fn>
  void for_chunks(std::size_t cost, Fn&& fn) {
    detail::parallel_chunks(threads_, count_, fn, cost);
  }

  int threads_;
  std::shared_ptr<const thread_share> share_;  // a fork's: the threads runs that ended left
  std::shared_ptr<const point_set> set_;
  const packed_rgba* points_ = nullptr;  // set_'s, for the loops
  const std::uint32_t* weights_ = nullptr;
  std::size_t count_ = 0;
  std::vector<std::uint32_t> labels_;
  std::vector<std::uint32_t> distance_;  // seeding D(i)
  std::vector<std::uint64_t> prefix_;    // running sums of weight * D, built on demand
  std::vector<float> upper_;             // per point: upper bound on the distance to its centroid
  std::vector<float> lower_;             // per point: lower bound on the distance to any other centroid
  std::vector<float> previous_centroids_;  // of the last step; empty when the bounds are not valid
  step_stats totals_;                      // of the last step: the base of an incremental pass
  detail::neighbour_order neighbours_;     // of the step's centroids; kept for its storage
  std::uint64_t scanned_ = 0;              // points the last step scanned: whether ordering neighbours pays
};

// How far each centroid moved since the last pass, and for each cluster the
// largest move among the others (the bound of a point in cluster a shrinks by
// that much).
struct centroid_moves {
  std::vector<float> moved, shrink;
  float largest = 0.0f;  // the largest of moved
};

centroid_moves moves_since(const std::vector<float>& previous, const float* centroids, int k) {
  centroid_moves m{std::vector<float>(static_cast<std::size_t>(k)), std::vector<float>(static_cast<std::size_t>(k))};
  int largest = 0;
  for (int j = 0; j < k; ++j) {
    double total = 0.0;
    for (int c = 0; c < channels; ++c) {
      const double d = static_cast<double>(centroids[channels * j + c]) - previous[static_cast<std::size_t>(channels) * j + c];
      total += d * d;
    }
    // Rounded up: a move must never look shorter than it was.
    const double exact = std::sqrt(total) * (1.0 + 1e-12);
    float up = static_cast<float>(exact);
    if (static_cast<double>(up) < exact) up = std::nextafter(up, std::numeric_limits<float>::infinity());
    m.moved[j] = up;
    if (m.moved[j] > m.moved[largest]) largest = j;
  }
  float second = 0.0f;
  for (int j = 0; j < k; ++j) {
    if (j != largest) second = std::max(second, m.moved[j]);
  }
  std::fill(m.shrink.begin(), m.shrink.end(), m.moved[largest]);
  m.shrink[largest] = second;
  m.largest = m.moved[largest];
  return m;
}

step_stats cpu_backend::step(const float* centroids, int k) {
  if (k < 1 || k > max_colors) throw error(error_kind::invalid_argument, "step: k out of range");
  const std::size_t kk = static_cast<std::size_t>(k);
  const detail::centroid_planes planes = detail::make_centroid_planes(centroids, k);
  const bool incremental = previous_centroids_.size() == kk * channels;
  const centroid_moves moves = incremental ? moves_since(previous_centroids_, centroids, k)
                                           : centroid_moves{std::vector<float>(kk), std::vector<float>(kk)};
  detail::hamerly_bounds bounds{upper_.data(), lower_.data(), moves.moved.data(), moves.shrink.data(), incremental};
  std::vector<float> near_shrink, beyond;
  // The neighbour lists where their scans pay; their first block (the near
  // centroids' moves, cpu_assign.hpp) wherever there is more than one block
  // and points enough to repay the ordering.
  const bool lists = incremental && detail::neighbour_order_pays(k, scanned_);
  if (lists || (incremental && detail::near_moves_pay(k, count_))) {
    detail::order_neighbours(planes, moves.largest, neighbours_);
    if (lists) bounds.neighbours = &neighbours_;
    detail::near_moves(neighbours_, moves.moved.data(), near_shrink, beyond);
    bounds.near_shrink = near_shrink.data();
    bounds.beyond = beyond.data();
  }
  // Once per pass: the partial results are sized by the split the pass runs with.
  const int threads = share_ ? share_->threads_for(threads_) : threads_;
  std::vector<chunk_stats> partial(static_cast<std::size_t>(detail::chunk_count(threads, count_, kk)), chunk_stats(k));
  detail::parallel_chunks(threads, count_, [&](int chunk, std::size_t begin, std::size_t end) {
    chunk_stats& mine = partial[static_cast<std::size_t>(chunk)];
    detail::assign_accumulator acc{mine.count.data(), mine.sum.data(), mine.sq_norm.data()};
    detail::assign_points(points_, weights_, labels_.data(), begin, end, planes, bounds, acc);
    mine.changed = acc.changed;
    mine.scanned = acc.scanned;
  }, kk);

  // Integer sums (and modular differences) add up to the same totals in any order.
  step_stats stats;
  if (incremental) {
    stats.count = totals_.count;
    stats.sum = totals_.sum;
    stats.sq_norm = totals_.sq_norm;
  } else {
    stats.count.assign(kk, 0);
    stats.sum.assign(kk * channels, 0);
    stats.sq_norm.assign(kk, 0);
  }
  scanned_ = 0;
  for (const chunk_stats& part : partial) {
    for (std::size_t j = 0; j < kk; ++j) {
      stats.count[j] += part.count[j];
      stats.sq_norm[j] += part.sq_norm[j];
    }
    for (std::size_t s = 0; s < stats.sum.size(); ++s) stats.sum[s] += part.sum[s];
    stats.changed += part.changed;
    scanned_ += part.scanned;
  }

  // The farthest point only matters to an empty cluster: look for it then.
  if (std::find(stats.count.begin(), stats.count.end(), 0u) != stats.count.end()) {
    std::vector<farthest_point> far(static_cast<std::size_t>(detail::chunk_count(threads, count_, kk)));
    detail::parallel_chunks(threads, count_, [&](int chunk, std::size_t begin, std::size_t end) {
      farthest_point& mine = far[static_cast<std::size_t>(chunk)];
      detail::find_farthest(points_, labels_.data(), begin, end, planes, mine.distance, mine.index);
    }, kk);
    farthest_point farthest;
    for (const farthest_point& part : far) {
      if (part.distance >= 0.0f) farthest.offer(part.distance, part.index);
    }
    stats.farthest = farthest.index;
    stats.farthest_distance = std::max(farthest.distance, 0.0f);
  }
  totals_.count = stats.count;
  totals_.sum = stats.sum;
  totals_.sq_norm = stats.sq_norm;
  previous_centroids_.assign(centroids, centroids + kk * channels);
  return stats;
}

}  // namespace

std::unique_ptr<backend> make_cpu_backend(int threads) { return std::make_unique<cpu_backend>(threads); }

}  // namespace kmq
