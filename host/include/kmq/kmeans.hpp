// The host orchestrator: seeding, Lloyd iterations, convergence and empty
// clusters, over any backend. Works on weighted points (distinct colours with
// their counts, or every pixel with weight 1).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kmq/backend.hpp"
#include "kmq/iteration_stats.hpp"
#include "kmq/observer.hpp"
#include "kmq/quantize_params.hpp"

namespace kmq {

struct kmeans_result {
  std::vector<float> centroids;         // k * 4, after the last update
  std::vector<std::uint64_t> counts;    // k: weight in each cluster at the last step
  std::vector<iteration_stats> passes;  // of the kept run, one per Lloyd pass
  int iterations = 0;             // of the kept run
  bool converged = false;         // of the kept run
  int best_restart = 0;           // which run was kept (0 = the one seeded with the seed itself)
  double seed_seconds = 0.0;      // all runs together
  double iterate_seconds = 0.0;   // all runs together
  // The backend's labels for `centroids` (one more assignment pass), where the
  // run kept them at little cost (side by side, on its own fork); else empty.
  std::vector<std::uint32_t> final_labels;

  double final_wcss() const { return passes.empty() ? 0.0 : passes.back().wcss; }
};

// The backend must hold the points already (backend::upload). Needs k <= the
// number of distinct colours among them; quantize() handles the other case.
// The observer hears every pass of every run and may cancel.
kmeans_result run_kmeans(backend& points, const std::vector<packed_rgba>& host_points,
                         const std::vector<std::uint32_t>& host_weights, const kmeans_params& params,
                         observer* watcher = nullptr);

// Every run of run_kmeans, in restart order, each with its own passes and
// seconds (best_restart: its own index), for a caller that judges the runs by
// more than their Lloyd error (quantize() by their error after refinement).
std::vector<kmeans_result> run_kmeans_runs(backend& points, const std::vector<packed_rgba>& host_points,
                                           const std::vector<std::uint32_t>& host_weights, const kmeans_params& params,
                                           observer* watcher = nullptr);

// How many runs run_kmeans_runs() makes of the parameters: the restarts (one
// under init_method::variance_split, which draws nothing) and the split run.
int run_count(const kmeans_params& params);

// The seeding alone (exposed for tests): k distinct colours from the points.
std::vector<packed_rgba> seed_centres(backend& points, const std::vector<packed_rgba>& host_points,
                                      const std::vector<std::uint32_t>& host_weights, int k,
                                      init_method init, std::uint64_t seed);

// Exact WCSS of one pass from its integer statistics: sum over clusters of
// sq_norm - 2 c.sum + count |c|^2, in double.
double wcss_from_stats(const step_stats& stats, const float* centroids, int k);

}  // namespace kmq
