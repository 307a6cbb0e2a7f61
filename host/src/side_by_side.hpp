// k-means restarts run side by side, each on its own fork of the backend and
// its own thread (side_by_side.cpp), for run_kmeans_runs().
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include "kmq/kmeans.hpp"

namespace kmq::detail {

// How one run is seeded: by which method, from which seed.
struct run_start {
  init_method init = init_method::kmeanspp;
  std::uint64_t seed = 0;
};

// The runs run_kmeans_runs() makes of the parameters, in restart order.
std::vector<run_start> run_starts(const kmeans_params& params);

// One seeding and its Lloyd iterations (kmeans.cpp).
kmeans_result seed_and_iterate(backend& points, const std::vector<packed_rgba>& host_points,
                               const std::vector<std::uint32_t>& host_weights, const kmeans_params& params,
                               run_start start, int restart, observer* watcher);

// The runs of `starts` (restart r seeded as starts[r] says) on forks of `points`,
// in restart order, exactly the runs one after another would give. Nothing
// (and nothing done) where that does not pay or cannot be: one thread or one
// run, a large image (its passes share threads well, and each fork's labels
// and bounds would add to its peak memory), a backend without fork().
std::optional<std::vector<kmeans_result>> runs_side_by_side(backend& points, const std::vector<packed_rgba>& host_points,
                                                            const std::vector<std::uint32_t>& host_weights,
                                                            const kmeans_params& params,
                                                            const std::vector<run_start>& starts, observer* watcher);

}  // namespace kmq::detail
