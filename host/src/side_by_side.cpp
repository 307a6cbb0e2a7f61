// Restarts side by side (side_by_side.hpp). A thread per fork, each taking the
// next restart not yet taken; a run depends only on its seed, never on which
// thread or fork ran it. The observer is only ever called on the calling
// thread: it hears each run's passes in restart order, as soon as the runs
// before it are done (the calling thread looks after each run of its own);
// when it says stop, or a run fails, the other threads stop at their next pass.
#include "side_by_side.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

#include "kmq/error.hpp"
#include "kmq/stopwatch.hpp"

namespace kmq::detail {
namespace {

constexpr std::size_t max_points = std::size_t{1} << 18;
constexpr std::uint64_t max_pixels = std::uint64_t{1} << 22;
// What all forks' own state (labels, bounds, seeding distances and prefix
// sums: 24 bytes a point) may take: --restarts 64 on 32 cores is not 64 forks.
constexpr std::size_t fork_memory_budget = std::size_t{64} << 20;
constexpr std::size_t fork_bytes_per_point = 24;

class side_by_side {
 public:
  side_by_side(std::vector<std::unique_ptr<backend>> forks, std::shared_ptr<thread_share> share,
               const std::vector<packed_rgba>& host_points, const std::vector<std::uint32_t>& host_weights,
               const kmeans_params& params, const std::vector<run_start>& starts)
      : forks_(std::move(forks)), share_(std::move(share)), host_points_(host_points), host_weights_(host_weights),
        params_(params), starts_(starts), count_(starts.size()), runs_(count_), done_(count_, 0), stopped_(count_, 0),
        failures_(count_) {}

  std::vector<kmeans_result> run(observer* watcher) {
    {
      std::vector<std::thread> helpers;
      helpers.reserve(forks_.size());
      struct joiner {  // every helper joined on every way out, cancellation included
        side_by_side& owner;
        std::vector<std::thread>& threads;
        ~joiner() {
          owner.stop_ = true;
          for (std::thread& t : threads) t.join();
        }
      } join_all{*this, helpers};
      share_->running = static_cast<int>(forks_.size());
      for (std::size_t f = 1; f < forks_.size(); ++f) {
        try {
          helpers.emplace_back([this, f] {
            while (take_and_run(*forks_[f])) {
            }
            --share_->running;  // the runs still going may use its threads
          });
        } catch (...) {
          // No thread: the others take its runs, and its threads.
          share_->running -= static_cast<int>(forks_.size() - f);
          break;
        }
      }
      while (take_and_run(*forks_[0])) report_finished(watcher, false);
      --share_->running;
      report_finished(watcher, true);
    }
    return std::move(runs_);  // every helper joined
  }

 private:
  // Runs the next restart not yet taken; false when none is left.
  bool take_and_run(backend& engine) {
    const std::size_t r = next_++;
    if (r >= count_) return false;
    predicate_observer until_stopped([this] { return !stop_.load(); });
    try {
      runs_[r] = seed_and_iterate(engine, host_points_, host_weights_, params_, starts_[r], static_cast<int>(r),
                                  &until_stopped);
      runs_[r].best_restart = static_cast<int>(r);
      // The labels of the final centroids, which the refinement starts from:
      // here its fork's bounds make that pass cheap, and it runs beside the
      // others rather than one after another on the caller's backend.
      engine.step(runs_[r].centroids.data(), params_.k);
      runs_[r].final_labels = engine.labels();
    } catch (const error& e) {
      // Stopped because another run failed or the observer said stop: not
      // this run's failure, which must not hide the one that was.
      if (e.kind() == error_kind::cancelled && stop_.load()) {
        stopped_[r] = 1;
      } else {
        failures_[r] = std::current_exception();
      }
      stop_ = true;
    } catch (...) {
      failures_[r] = std::current_exception();
      stop_ = true;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    done_[r] = 1;
    finished_.notify_all();
    return true;
  }

  // Tells the observer about the runs done, in restart order, up to the
  // first not yet done (all of them when `all`: waiting for the others).
  // Rethrows the failure of the lowest restart that failed.
  void report_finished(observer* watcher, bool all) {
    for (; reported_ < count_; ++reported_) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        if (all) {
          finished_.wait(lock, [&] { return done_[reported_] != 0; });
        } else if (!done_[reported_]) {
          return;
        }
      }
      if (stopped_[reported_] || failures_[reported_]) rethrow_first_failure();
      report_stage(watcher, job_stage::seed);
      report_stage(watcher, job_stage::iterate);
      for (const iteration_stats& pass : runs_[reported_].passes) report_iteration(watcher, pass);
    }
  }

  [[noreturn]] void rethrow_first_failure() {
    stop_ = true;
    std::unique_lock<std::mutex> lock(mutex_);
    finished_.wait(lock, [&] { return std::all_of(done_.begin(), done_.end(), [](char d) { return d != 0; }); });
    for (const std::exception_ptr& failure : failures_) {
      if (failure) std::rethrow_exception(failure);
    }
    throw error(error_kind::internal, "k-means restarts stopped without a failure");
  }

  std::vector<std::unique_ptr<backend>> forks_;
  std::shared_ptr<thread_share> share_;
  const std::vector<packed_rgba>& host_points_;
  const std::vector<std::uint32_t>& host_weights_;
  const kmeans_params& params_;
  const std::vector<run_start>& starts_;
  const std::size_t count_;
  std::vector<kmeans_result> runs_;
  std::vector<char> done_;     // under mutex_
  std::vector<char> stopped_;  // written before done_, read after it
  std::vector<std::exception_ptr> failures_;
  std::size_t reported_ = 0;   // the calling thread's
  std::atomic<std::size_t> next_{0};
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable finished_;
};

}  // namespace

std::optional<std::vector<kmeans_result>> runs_side_by_side(backend& points, const std::vector<packed_rgba>& host_points,
                                                            const std::vector<std::uint32_t>& host_weights,
                                                            const kmeans_params& params,
                                                            const std::vector<run_start>& starts, observer* watcher) {
  // Up to two runs a thread: with three runs on two threads, one after another
  // on one of them would leave the other idle for a run.
  const int threads = points.threads();
  const std::size_t memory_lanes =
      std::max<std::size_t>(1, fork_memory_budget / (fork_bytes_per_point * std::max<std::size_t>(1, host_points.size())));
  const int lanes = static_cast<int>(std::min<std::size_t>({starts.size(), 2 * static_cast<std::size_t>(threads), memory_lanes}));
  std::uint64_t pixels = 0;
  for (std::uint32_t w : host_weights) pixels += w;
  if (threads < 2 || lanes < 2 || host_points.size() > max_points || pixels > max_pixels) return std::nullopt;
  auto share = std::make_shared<thread_share>();
  share->total = threads;
  std::vector<std::unique_ptr<backend>> forks;
  for (int f = 0; f < lanes; ++f) {
    // The threads shared out, the first forks taking what is left over.
    std::unique_ptr<backend> fork = points.fork(std::max(1, threads / lanes + (f < threads % lanes ? 1 : 0)), share);
    if (!fork) return std::nullopt;
    forks.push_back(std::move(fork));
  }
  stopwatch running;
  std::vector<kmeans_result> runs = side_by_side(std::move(forks), share, host_points, host_weights, params, starts).run(watcher);
  // The stage times are wall time: the runs' own seconds overlapped, so they
  // are scaled to the time the runs took together. (Each pass keeps its own
  // wall time: passes of different runs overlap.)
  double own = 0.0;
  for (const kmeans_result& run : runs) own += run.seed_seconds + run.iterate_seconds;
  const double scale = own > 0.0 ? running.seconds() / own : 0.0;
  for (kmeans_result& run : runs) {
    run.seed_seconds *= scale;
    run.iterate_seconds *= scale;
  }
  return runs;
}

}  // namespace kmq::detail
