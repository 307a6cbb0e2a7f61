// What one Lloyd pass did, as data (FAISS's ClusteringIterationStats): a
// progress bar, a web page and an HTML report all render these records.
#pragma once
#include <cstdint>

namespace kmq {

struct iteration_stats {
  int restart = 0;                   // which seeding's run (0 = the one seeded with the seed itself)
  int pass = 0;                      // 0-based within that run
  double wcss = 0.0;                 // within-cluster sum of squares against the pass's float centroids
  std::uint64_t labels_changed = 0;  // points whose cluster changed in this pass
  int empty_clusters = 0;            // clusters that had no point in this pass
  int restarted_cluster = -1;        // the empty cluster moved to the farthest point, or -1
  double seconds = 0.0;              // wall time of the pass, centroid update included
};

}  // namespace kmq
