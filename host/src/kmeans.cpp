// Lloyd iterations over a backend. The host decides everything (new centroids,
// empty clusters, convergence) from integer statistics, so every backend that
// returns the same statistics takes the same path.
#include "kmq/kmeans.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>

#include "kmq/error.hpp"
#include "kmq/random.hpp"
#include "kmq/stopwatch.hpp"

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

// One seeding and its Lloyd iterations.
kmeans_result seed_and_iterate(backend& points, const std::vector<packed_rgba>& host_points,
                               const std::vector<std::uint32_t>& host_weights, const kmeans_params& params,
                               std::uint64_t seed, int restart, observer* watcher) {
  const int k = params.k;
  kmeans_result result;
  report_stage(watcher, job_stage::seed);
  detail::stopwatch seeding;
  const std::vector<packed_rgba> centres = seed_centres(points, host_points, host_weights, k, params.init, seed);
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

constexpr std::size_t side_by_side_max_points = std::size_t{1} << 18;
constexpr std::uint64_t side_by_side_max_pixels = std::uint64_t{1} << 22;

// Runs restarts on forks of the backend, side by side: a thread per fork,
// each taking the next restart not yet taken. A run depends only on its seed,
// never on which thread or fork ran it, so the runs are those of one backend
// one after another. The observer hears each run's passes, in restart order,
// on the calling thread, as soon as the runs before it are done; when it says
// stop, the other threads stop at their next pass.
class side_by_side {
 public:
  side_by_side(std::vector<std::unique_ptr<backend>> forks, std::shared_ptr<thread_share> share,
               const std::vector<packed_rgba>& host_points, const std::vector<std::uint32_t>& host_weights,
               const kmeans_params& params, const std::vector<std::uint64_t>& seeds)
      : forks_(std::move(forks)), share_(std::move(share)), host_points_(host_points), host_weights_(host_weights),
        params_(params), seeds_(seeds), runs_(seeds.size()), done_(seeds.size(), false), failures_(seeds.size()) {}

  std::vector<kmeans_result> run(observer* watcher) {
    std::vector<std::thread> helpers;
    share_->running = static_cast<int>(forks_.size());
    for (std::size_t f = 1; f < forks_.size(); ++f) {
      try {
        helpers.emplace_back([this, f] { work(*forks_[f]); });
      } catch (const std::system_error&) {
        // No thread: the others take its runs, and its threads.
        share_->running -= static_cast<int>(forks_.size() - f);
        break;
      }
    }
    struct joiner {  // every helper joined on every way out, cancellation included
      side_by_side& owner;
      std::vector<std::thread>& threads;
      ~joiner() {
        owner.stop_ = true;
        for (std::thread& t : threads) t.join();
      }
    } join_all{*this, helpers};
    work(*forks_[0]);
    for (std::size_t r = 0; r < runs_.size(); ++r) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        finished_.wait(lock, [&] { return done_[r]; });
      }
      if (failures_[r]) std::rethrow_exception(failures_[r]);
      report_stage(watcher, job_stage::seed);
      report_stage(watcher, job_stage::iterate);
      for (const iteration_stats& pass : runs_[r].passes) report_iteration(watcher, pass);
    }
    return std::move(runs_);
  }

 private:
  void work(backend& engine) {
    predicate_observer until_stopped([this] { return !stop_.load(); });
    for (std::size_t r = next_++; r < runs_.size(); r = next_++) {
      try {
        runs_[r] = seed_and_iterate(engine, host_points_, host_weights_, params_, seeds_[r], static_cast<int>(r),
                                    &until_stopped);
        runs_[r].best_restart = static_cast<int>(r);
      } catch (...) {
        failures_[r] = std::current_exception();
        stop_ = true;
      }
      {
        std::lock_guard<std::mutex> lock(mutex_);
        done_[r] = true;
      }
      finished_.notify_all();
    }
    // No run left to take: the runs still going may use this one's threads.
    --share_->running;
  }

  std::vector<std::unique_ptr<backend>> forks_;
  std::shared_ptr<thread_share> share_;
  const std::vector<packed_rgba>& host_points_;
  const std::vector<std::uint32_t>& host_weights_;
  const kmeans_params& params_;
  const std::vector<std::uint64_t>& seeds_;
  std::vector<kmeans_result> runs_;
  std::vector<char> done_;
  std::vector<std::exception_ptr> failures_;
  std::atomic<std::size_t> next_{0};
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable finished_;
};

}  // namespace

std::vector<kmeans_result> run_kmeans_runs(backend& points, const std::vector<packed_rgba>& host_points,
                                           const std::vector<std::uint32_t>& host_weights, const kmeans_params& params,
                                           observer* watcher) {
  validate(params);
  if (points.size() != host_points.size() || host_points.size() != host_weights.size()) {
    throw error(error_kind::internal, "run_kmeans: the backend holds other points than the host");
  }
  // Restart r > 0 uses the r-th draw of a generator seeded with the seed, so
  // one restart is exactly the run of the seed alone, and more never do worse.
  seeded_random restart_seeds(params.seed);
  std::vector<std::uint64_t> seeds;
  for (int restart = 0; restart < params.restarts; ++restart) {
    seeds.push_back(restart == 0 ? params.seed : restart_seeds.next());
  }
  // Side by side where the backend can fork and there are threads for it: a
  // small image's pass is too little work to share well between threads, a
  // run is plenty. Up to two runs a thread: with three runs on two threads,
  // one after another on one of them would leave the other idle for a run.
  // Not for large images: their passes share well, and each fork's labels
  // and bounds (16 bytes a point) would add to their peak memory.
  const int threads = points.threads();
  const int lanes = threads > 1 ? std::min(params.restarts, 2 * threads) : 1;
  std::uint64_t pixels = 0;
  for (std::uint32_t w : host_weights) pixels += w;
  if (lanes > 1 && host_points.size() <= side_by_side_max_points && pixels <= side_by_side_max_pixels) {
    std::vector<std::unique_ptr<backend>> forks;
    auto share = std::make_shared<thread_share>();
    share->total = threads;
    for (int f = 0; f < lanes; ++f) {
      // The threads shared out, the first forks taking what is left over.
      std::unique_ptr<backend> fork = points.fork(std::max(1, threads / lanes + (f < threads % lanes ? 1 : 0)), share);
      if (!fork) break;
      forks.push_back(std::move(fork));
    }
    if (static_cast<int>(forks.size()) == lanes) {
      detail::stopwatch running;
      std::vector<kmeans_result> runs = side_by_side(std::move(forks), share, host_points, host_weights, params, seeds).run(watcher);
      // The stage times are wall time: the runs' own seconds overlapped, so
      // they are scaled to the time the runs took together.
      double own = 0.0;
      for (const kmeans_result& run : runs) own += run.seed_seconds + run.iterate_seconds;
      const double scale = own > 0.0 ? running.seconds() / own : 0.0;
      for (kmeans_result& run : runs) {
        run.seed_seconds *= scale;
        run.iterate_seconds *= scale;
      }
      return runs;
    }
  }
  std::vector<kmeans_result> runs;
  for (int restart = 0; restart < params.restarts; ++restart) {
    runs.push_back(seed_and_iterate(points, host_points, host_weights, params, seeds[static_cast<std::size_t>(restart)],
                                    restart, watcher));
    runs.back().best_restart = restart;
  }
  return runs;
}

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
