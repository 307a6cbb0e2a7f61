// k-means restarts run side by side, each on its own fork of the backend and
// its own thread (side_by_side.cpp), for run_kmeans_runs().
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include "kmq/kmeans.hpp"

namespace kmq::detail {

// One seeding and its Lloyd iterations (kmeans.cpp).
kmeans_result seed_and_iterate(backend& points, const std::vector<packed_rgba>& host_points,
                               const std::vector<std::uint32_t>& host_weights, const kmeans_params& params,
                               std::uint64_t seed, int restart, observer* watcher);

// The runs of `seeds` (restart r seeded with seeds[r]) on forks of `points`,
// in restart order, exactly the runs one after another would give. Nothing
// (and nothing done) where that does not pay or cannot be: one thread or one
// run, a large image (its passes share threads well, and each fork's labels
// and bounds would add to its peak memory), a backend without fork().
std::optional<std::vector<kmeans_result>> runs_side_by_side(backend& points, const std::vector<packed_rgba>& host_points,
                                                            const std::vector<std::uint32_t>& host_weights,
                                                            const kmeans_params& params,
                                                            const std::vector<std::uint64_t>& seeds, observer* watcher);

}  // namespace kmq::detail
