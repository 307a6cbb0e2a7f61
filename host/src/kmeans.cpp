// Lloyd iterations over a backend. The host decides everything (new centroids,
// empty clusters, convergence) from integer statistics, so every backend that
// returns the same statistics takes the same path.
#include "kmq/kmeans.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "kmq/error.hpp"
#include "kmq/random.hpp"
#include "kmq/stopwatch.hpp"
#include "side_by_side.hpp"

namespace kmq {

double wcss_from_stats(const step_stats& stats, const float* centroids, int k) {
  double total = 0.0;
  for (int j = 0; j < k; ++j) {
    if (stats.count[j] == 0) continue;
    double dot = 0.0, norm = 0.0;
    for (int c = 0; c < channels; ++c) {
      const double centre = centroids[channels * j + c];
      dot += centre * static_cast<double>(stats.sum[static_cast<std::size_t>(channels) * j + c]);
      norm += centre * centre;
    }
    total += static_cast<double>(stats.sq_norm[j]) - 2.0 * dot + static_cast<double>(stats.count[j]) * norm;
  }
  return total < 0.0 ? 0.0 : total;  // cancellation can leave a tiny negative for a perfect fit
}

namespace {

// Moves each non-empty centroid to its cluster's mean; returns the first empty
// cluster, or -1.
int update_centroids(const step_stats& stats, std::vector<float>& centroids, int k) {
  int first_empty = -1;
  for (int j = 0; j < k; ++j) {
    const std::uint64_t n = stats.count[j];
    if (n == 0) {
      if (first_empty < 0) first_empty = j;
      continue;
    }
    for (int c = 0; c < channels; ++c) {
      const double mean = static_cast<double>(stats.sum[static_cast<std::size_t>(channels) * j + c]) / static_cast<double>(n);
      centroids[static_cast<std::size_t>(channels) * j + c] = static_cast<float>(mean);
    }
  }
  return first_empty;
}

// Lloyd iterations from the centroids in result (k * 4 floats).
void lloyd(backend& points, const std::vector<packed_rgba>& host_points, const kmeans_params& params, int restart,
           observer* watcher, kmeans_result& result) {
  const int k = params.k;
  detail::stopwatch iterating;
  double previous = std::numeric_limits<double>::infinity();
  for (int iteration = 0; iteration < params.max_iter; ++iteration) {
    detail::stopwatch pass_time;
    const step_stats stats = points.step(result.centroids.data(), k);
    iteration_stats pass;
    pass.restart = restart;
    pass.pass = iteration;
    pass.wcss = wcss_from_stats(stats, result.centroids.data(), k);
    // The first pass labels every point anew: its count from labels another
    // run left would depend on which ran before it on this backend.
    pass.labels_changed = iteration == 0 ? host_points.size() : stats.changed;
    pass.empty_clusters = static_cast<int>(std::count(stats.count.begin(), stats.count.end(), 0u));
    result.counts = stats.count;
    ++result.iterations;

    const int empty = update_centroids(stats, result.centroids, k);
    bool done = false;
    if (empty >= 0) {
      // An empty cluster restarts at the point worst served; one per pass, so
      // the next pass sees where the others should go.
      const packed_rgba far = host_points[stats.farthest];
      for (int c = 0; c < channels; ++c) {
        result.centroids[static_cast<std::size_t>(channels) * empty + c] = static_cast<float>(channel_of(far, c));
      }
      pass.restarted_cluster = empty;
    } else if (iteration > 0 && (stats.changed == 0 || previous - pass.wcss <= params.tol * previous)) {
      // Not on the first pass: its label changes count from labels another
      // run (or the seeding) left, and its gain has nothing to compare with.
      result.converged = true;
      done = true;
    }
    previous = pass.wcss;
    pass.seconds = pass_time.seconds();
    result.passes.push_back(pass);
    report_iteration(watcher, pass);
    if (done) break;
  }
  result.iterate_seconds = iterating.seconds();
}

}  // namespace

namespace detail {

std::vector<run_start> run_starts(const kmeans_params& params) {
  // Restart r > 0 uses the r-th draw of a generator seeded with the seed, so
  // one restart is exactly the run of the seed alone, and more never do worse.
  // A variance split draws nothing: one run of it is all it can give.
  std::vector<run_start> starts;
  const int restarts = params.init == init_method::variance_split ? 1 : params.restarts;
  seeded_random restart_seeds(params.seed);
  for (int restart = 0; restart < restarts; ++restart) {
    starts.push_back({params.init, restart == 0 ? params.seed : restart_seeds.next()});
  }
  if (params.split_run && params.init != init_method::variance_split) {
    starts.push_back({init_method::variance_split, params.seed});
  }
  return starts;
}

kmeans_result seed_and_iterate(backend& points, const std::vector<packed_rgba>& host_points,
                               const std::vector<std::uint32_t>& host_weights, const kmeans_params& params,
                               run_start start, int restart, observer* watcher) {
  const int k = params.k;
  kmeans_result result;
  report_stage(watcher, job_stage::seed);
  detail::stopwatch seeding;
  const std::vector<packed_rgba> centres = seed_centres(points, host_points, host_weights, k, start.init, start.seed);
  result.seed_seconds = seeding.seconds();
  result.centroids.resize(static_cast<std::size_t>(k) * channels);
  for (int j = 0; j < k; ++j) {
    for (int c = 0; c < channels; ++c) {
      result.centroids[static_cast<std::size_t>(channels) * j + c] = static_cast<float>(channel_of(centres[j], c));
    }
  }
  report_stage(watcher, job_stage::iterate);
  lloyd(points, host_points, params, restart, watcher, result);
  return result;
}

}  // namespace detail

std::vector<kmeans_result> run_kmeans_runs(backend& points, const std::vector<packed_rgba>& host_points,
                                           const std::vector<std::uint32_t>& host_weights, const kmeans_params& params,
                                           observer* watcher) {
  validate(params);
  if (points.size() != host_points.size() || host_points.size() != host_weights.size()) {
    throw error(error_kind::internal, "run_kmeans: the backend holds other points than the host");
  }
  const std::vector<detail::run_start> starts = detail::run_starts(params);
  // Side by side on forks where that pays; else one after another.
  if (auto runs = detail::runs_side_by_side(points, host_points, host_weights, params, starts, watcher)) {
    return std::move(*runs);
  }
  std::vector<kmeans_result> runs;
  for (std::size_t restart = 0; restart < starts.size(); ++restart) {
    runs.push_back(detail::seed_and_iterate(points, host_points, host_weights, params, starts[restart],
                                            static_cast<int>(restart), watcher));
    runs.back().best_restart = static_cast<int>(restart);
  }
  return runs;
}

int run_count(const kmeans_params& params) { return static_cast<int>(detail::run_starts(params).size()); }

kmeans_result run_kmeans(backend& points, const std::vector<packed_rgba>& host_points,
                         const std::vector<std::uint32_t>& host_weights, const kmeans_params& params,
                         observer* watcher) {
  std::vector<kmeans_result> runs = run_kmeans_runs(points, host_points, host_weights, params, watcher);
  double seed_seconds = 0.0, iterate_seconds = 0.0;
  std::size_t best = 0;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    seed_seconds += runs[r].seed_seconds;
    iterate_seconds += runs[r].iterate_seconds;
    // The lowest error wins; on a tie, the earlier run.
    if (runs[r].final_wcss() < runs[best].final_wcss()) best = r;
  }
  kmeans_result kept = std::move(runs[best]);
  kept.seed_seconds = seed_seconds;
  kept.iterate_seconds = iterate_seconds;
  return kept;
}

}  // namespace kmq
