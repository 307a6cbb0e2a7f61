// Seeding: greedy k-means++ (Arthur & Vassilvitskii 2007, with the "greedy"
// candidates of scikit-learn) or uniform random colours. Every draw comes from
// seeded_random on the host; the backends only compute exact integer sums.
#include <algorithm>
#include <cmath>

#include "kmq/error.hpp"
#include "kmq/kmeans.hpp"
#include "kmq/random.hpp"
#include "variance_split_seed.hpp"

namespace kmq {
namespace {

// Runs of equal colours among the points with their total weight. Points come
// grouped by colour (a histogram, or pixels sorted by colour), so these are
// the same for the deduplicated and the raw form of one image.
struct color_runs {
  std::vector<packed_rgba> colors;
  std::vector<std::uint64_t> weights;
};

color_runs runs_of(const std::vector<packed_rgba>& points, const std::vector<std::uint32_t>& weights) {
  color_runs runs;
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (runs.colors.empty() || runs.colors.back() != points[i]) {
      runs.colors.push_back(points[i]);
      runs.weights.push_back(0);
    }
    runs.weights.back() += weights[i];
  }
  return runs;
}

// Draws one run with probability proportional to its weight, among runs whose
// weight is still in the Fenwick tree; removes it. O(log n) per draw.
class weighted_draws {
 public:
  // Built in O(n), each node passing its sum to its parent: k-means++ makes
  // one draw from a tree over every distinct colour, so building it
  // add by add (O(n log n)) cost more than the whole seeding on a GPU.
  explicit weighted_draws(const std::vector<std::uint64_t>& weights) : tree_(weights.size() + 1, 0), values_(weights) {
    for (std::size_t i = 1; i < tree_.size(); ++i) {
      tree_[i] += weights[i - 1];
      total_ += weights[i - 1];
      const std::size_t parent = i + (i & (0 - i));
      if (parent < tree_.size()) tree_[parent] += tree_[i];
    }
  }

  std::size_t draw_and_remove(seeded_random& random) {
    std::uint64_t target = random.below(total_);
    std::size_t position = 0;
    std::size_t step = 1;
    while (step * 2 < tree_.size()) step *= 2;
    for (; step > 0; step /= 2) {
      if (position + step < tree_.size() && tree_[position + step] <= target) {
        position += step;
        target -= tree_[position];
      }
    }
    // position runs have prefix weight <= target: the draw is run `position`.
    total_ -= values_[position];
    add(position, 0 - values_[position]);
    values_[position] = 0;
    return position;
  }

 private:
  void add(std::size_t index, std::uint64_t delta) {
    for (std::size_t i = index + 1; i < tree_.size(); i += i & (0 - i)) tree_[i] += delta;
  }

  std::vector<std::uint64_t> tree_;
  std::vector<std::uint64_t> values_;
  std::uint64_t total_ = 0;
};

}  // namespace

std::vector<packed_rgba> seed_centres(backend& points, const std::vector<packed_rgba>& host_points,
                                      const std::vector<std::uint32_t>& host_weights, int k,
                                      init_method init, std::uint64_t seed) {
  const color_runs runs = runs_of(host_points, host_weights);
  if (k < 1 || static_cast<std::size_t>(k) > runs.colors.size()) {
    throw error(error_kind::invalid_argument, "seeding needs 1 <= k <= distinct colours");
  }
  if (init == init_method::variance_split) return detail::variance_split_centres(runs.colors, runs.weights, k);
  seeded_random random(seed);
  weighted_draws draws(runs.weights);
  std::vector<packed_rgba> centres;
  centres.reserve(static_cast<std::size_t>(k));
  centres.push_back(runs.colors[draws.draw_and_remove(random)]);

  if (init == init_method::random) {
    while (centres.size() < static_cast<std::size_t>(k)) centres.push_back(runs.colors[draws.draw_and_remove(random)]);
    return centres;
  }

  // scikit-learn's choice: 2 + floor(ln k) candidates per step, keep the one
  // that lowers the potential most.
  const int trials = 2 + static_cast<int>(std::log(static_cast<double>(k)));
  std::vector<std::uint64_t> targets(static_cast<std::size_t>(trials));
  std::vector<std::uint32_t> picked(static_cast<std::size_t>(trials));
  std::vector<packed_rgba> candidates(static_cast<std::size_t>(trials));
  std::vector<std::uint64_t> potentials(static_cast<std::size_t>(trials));
  points.seed_begin(centres.front());
  if (points.seed_greedy(random, k, trials, centres)) return centres;
  while (centres.size() < static_cast<std::size_t>(k)) {
    const std::uint64_t potential = points.seed_potential();
    if (potential == 0) throw error(error_kind::internal, "k-means++: every point already is a centre");
    for (auto& t : targets) t = random.below(potential);
    points.seed_sample(targets.data(), trials, picked.data());
    for (int t = 0; t < trials; ++t) candidates[t] = host_points[picked[t]];
    points.seed_candidate_potentials(candidates.data(), trials, potentials.data());
    const auto best = std::min_element(potentials.begin(), potentials.end()) - potentials.begin();
    centres.push_back(candidates[static_cast<std::size_t>(best)]);
    points.seed_add_centre(centres.back());
  }
  return centres;
}

}  // namespace kmq
