// A swap step after Hartigan's method: Lloyd and Hartigan only move points
// between neighbouring clusters, so a partition that spends two clusters on
// one small, tight region while one large, spread cluster serves a region
// that wants two stays as it is. A swap merges the cluster that costs least
// to lose into its nearest neighbour, splits the cluster that gains most from
// two along its principal axis, lets Hartigan's rule settle the points of the
// clusters involved, and is kept only when the exact error of the partition
// fell. Sequential on the host, integer sums, fixed order: the same labels on
// any thread count and after either backend's Lloyd passes.
#pragma once
#include <cstdint>
#include <vector>

#include "kmq/pixels.hpp"

namespace kmq::detail {

struct swap_params {
  int max_trials = 4;        // swaps tried (kept or not); 0 turns the step off
  int lloyd_rounds = 3;      // Lloyd rounds over the involved clusters' points per trial, then
  int max_sweeps = 4;        // Hartigan sweeps over them
  double give_up = 1e-3;     // a trial whose error after the Lloyd rounds is this much above the old ends there
  int candidates = 8;        // clusters a point may move to: those nearest its own
  int split_candidates = 4;  // clusters of largest error whose split is evaluated
  int neighbours = 4;        // nearest clusters of the split and the merged one whose points also move
};

struct swap_outcome {
  int trials = 0;
  int accepted = 0;
  double wcss_before = 0.0;  // of the partition against its means
  double wcss_after = 0.0;
};

// labels[i] in [0, k), every cluster non-empty or not (empty ones are left
// out of every swap); updated in place. The partition's error never rises.
swap_outcome swap_refine(const std::vector<packed_rgba>& points, const std::vector<std::uint32_t>& weights,
                         std::vector<std::uint32_t>& labels, int k, const swap_params& params);

}  // namespace kmq::detail
