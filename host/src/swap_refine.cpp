// The swap step (swap_refine.hpp). Per trial: the cluster whose split gains
// most less the cluster whose merge into its nearest neighbour costs least
// (Ward's cost, an upper bound of what losing it costs once its points may go
// to any neighbour) picks the pair; the merge and split are made, Hartigan's
// rule moves the points of the clusters involved, and the exact error of the
// whole partition decides. A rejected pair is not tried again until a swap is
// kept. Errors come from integer sums (128-bit where they are squared), so
// every decision is exact to reproduce.
#include "swap_refine.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "kmq/error.hpp"
#include "partition_sums.hpp"

namespace kmq::detail {
namespace {

constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();

class swapper {
 public:
  swapper(const std::vector<packed_rgba>& points, const std::vector<std::uint32_t>& weights,
          std::vector<std::uint32_t>& labels, int k, const swap_params& params)
      : points_(points), weights_(weights), labels_(labels), params_(params), p_(k),
        members_(static_cast<std::size_t>(k)), cuts_(static_cast<std::size_t>(k)),
        gain_known_(static_cast<std::size_t>(k), 0) {
    for (std::size_t i = 0; i < points.size(); ++i) {
      if (labels[i] >= static_cast<std::uint32_t>(k)) throw error(error_kind::internal, "swap_refine: label out of range");
      p_.add(labels[i], points[i], weights[i]);
      members_[labels[i]].push_back(static_cast<std::uint32_t>(i));
    }
  }

  swap_outcome run() {
    swap_outcome outcome;
    outcome.wcss_before = outcome.wcss_after = p_.total();
    if (p_.k() < 3) return outcome;
    refresh_merges();
    while (outcome.trials < params_.max_trials) {
      std::uint32_t s = none, r = none;
      if (!pick(s, r)) break;
      ++outcome.trials;
      tried_.emplace_back(s, r);
      if (attempt(s, r, outcome.wcss_after)) {
        ++outcome.accepted;
        tried_.clear();
        refresh_merges();
      }
    }
    return outcome;
  }

 private:
  // Ward's cost of merging each cluster into its nearest neighbour (0 and no
  // neighbour for an empty cluster: it is free to reuse).
  void refresh_merges() {
    const std::size_t k = static_cast<std::size_t>(p_.k());
    merge_cost_.assign(k, 0.0);
    merge_into_.assign(k, none);
    for (std::uint32_t r = 0; r < k; ++r) {
      if (p_.weight[r] == 0) continue;
      const std::vector<std::uint32_t> near = nearest_of(p_, r, 1);
      if (near.empty()) {
        merge_cost_[r] = std::numeric_limits<double>::infinity();
        continue;
      }
      const std::uint32_t q = near[0];
      const double wr = static_cast<double>(p_.weight[r]), wq = static_cast<double>(p_.weight[q]);
      merge_cost_[r] = wr * wq / (wr + wq) * p_.between(r, q);
      merge_into_[r] = q;
    }
  }

  // Cluster s cut in two, kept until its members change: pick() ranks by the
  // gain, attempt() then makes the same cut.
  const split& cut_of(std::uint32_t s) {
    if (!gain_known_[s]) {
      cuts_[s] = split_cluster(points_, weights_, members_[s], p_, s);
      gain_known_[s] = 1;
    }
    return cuts_[s];
  }

  double gain_of(std::uint32_t s) { return cut_of(s).gain; }

  bool was_tried(std::uint32_t s, std::uint32_t r) const {
    return std::find(tried_.begin(), tried_.end(), std::make_pair(s, r)) != tried_.end();
  }

  // The untried pair (split s, merge r) of largest predicted gain. The
  // prediction is pessimistic (Ward's cost, a crude split), so a pair is
  // tried even when it predicts a loss.
  bool pick(std::uint32_t& s_out, std::uint32_t& r_out) {
    const std::size_t k = static_cast<std::size_t>(p_.k());
    std::vector<std::pair<double, std::uint32_t>> by_error;
    for (std::uint32_t j = 0; j < k; ++j) {
      if (p_.weight[j] > 0) by_error.emplace_back(-p_.error(j), j);
    }
    const std::size_t splits = std::min<std::size_t>(by_error.size(), static_cast<std::size_t>(params_.split_candidates));
    std::partial_sort(by_error.begin(), by_error.begin() + static_cast<std::ptrdiff_t>(splits), by_error.end());
    std::vector<std::uint32_t> by_merge(k);
    for (std::uint32_t j = 0; j < k; ++j) by_merge[j] = j;
    std::stable_sort(by_merge.begin(), by_merge.end(),
                     [&](std::uint32_t a, std::uint32_t b) { return merge_cost_[a] < merge_cost_[b]; });
    double best = -std::numeric_limits<double>::infinity();
    bool found = false;
    for (std::size_t n = 0; n < splits; ++n) {
      const std::uint32_t s = by_error[n].second;
      const double gain = gain_of(s);
      for (std::uint32_t r : by_merge) {
        if (!(gain - merge_cost_[r] > best)) break;  // sorted: no later r does better
        if (r == s || merge_into_[r] == s || was_tried(s, r)) continue;
        // Of two clusters nearest each other, one merge is tried, not both.
        if (merge_into_[r] != none && merge_into_[merge_into_[r]] == r && merge_into_[r] < r) continue;
        best = gain - merge_cost_[r];
        s_out = s;
        r_out = r;
        found = true;
        break;
      }
    }
    return found;
  }

  bool attempt(std::uint32_t s, std::uint32_t r, double& total) {
    const std::uint32_t q = merge_into_[r];
    // The clusters involved: s, r, q and the neighbours of s and q, whose
    // points the new means may now serve better.
    std::vector<std::uint32_t> clusters = {s, r};
    if (q != none) clusters.push_back(q);
    for (std::uint32_t around : {s, q}) {
      if (around == none) continue;
      for (std::uint32_t j : nearest_of(p_, around, params_.neighbours)) clusters.push_back(j);
    }
    std::sort(clusters.begin(), clusters.end());
    clusters.erase(std::unique(clusters.begin(), clusters.end()), clusters.end());
    std::vector<std::uint32_t> involved;
    for (std::uint32_t j : clusters) involved.insert(involved.end(), members_[j].begin(), members_[j].end());
    std::sort(involved.begin(), involved.end());
    std::vector<std::uint32_t> old_labels(involved.size());
    for (std::size_t n = 0; n < involved.size(); ++n) old_labels[n] = labels_[involved[n]];
    const partition saved = p_;

    const split cut = cut_of(s);
    if (cut.gain <= 0.0) return false;
    for (std::uint32_t i : members_[r]) move(i, q);
    for (std::size_t n = 0; n < members_[s].size(); ++n) {
      if (cut.side[n]) move(members_[s][n], r);
    }
    const double after = settle(involved, total);
    if (!(after < total)) {
      p_ = saved;
      for (std::size_t n = 0; n < involved.size(); ++n) labels_[involved[n]] = old_labels[n];
      return false;
    }
    total = after;
    // Members: the involved clusters' lists rebuilt, the points that left for
    // other clusters appended to those (their errors and splits change).
    for (std::uint32_t j : clusters) {
      members_[j].clear();
      gain_known_[j] = 0;
    }
    for (std::uint32_t i : involved) {
      members_[labels_[i]].push_back(i);
      gain_known_[labels_[i]] = 0;
    }
    return true;
  }

  void move(std::uint32_t i, std::uint32_t to) {
    p_.add(labels_[i], points_[i], -std::int64_t{weights_[i]});
    p_.add(to, points_[i], std::int64_t{weights_[i]});
    labels_[i] = to;
  }

  // Hartigan's rule (hartigan.hpp) over the involved points, each trying the
  // clusters nearest its own.
  // Lloyd rounds over the involved points (each to the nearest of its
  // cluster's mean and the candidates' means as the round began): they carry
  // the split and the merge's large shifts in few passes, which Hartigan's
  // one-point moves would take many sweeps to make.
  void lloyd_rounds(const std::vector<std::uint32_t>& involved) {
    const std::size_t k = static_cast<std::size_t>(p_.k());
    std::vector<std::uint32_t> next(involved.size());
    for (int round = 0; round < params_.lloyd_rounds; ++round) {
      const partition frozen = p_;
      std::vector<std::vector<std::uint32_t>> near(k);
      std::vector<double> gap(k, 0.0);  // squared distance to the nearest candidate's mean
      std::vector<char> known(k, 0);
      for (std::size_t n = 0; n < involved.size(); ++n) {
        const std::uint32_t i = involved[n], from = labels_[i];
        if (!known[from]) {
          near[from] = nearest_of(frozen, from, params_.candidates);
          if (!near[from].empty()) gap[from] = frozen.between(from, near[from].front());
          known[from] = 1;
        }
        std::uint32_t best = from;
        double best_distance = frozen.distance(from, points_[i]);
        next[n] = from;
        // Nearer its mean than half the way to any other: it stays.
        if (4.0 * best_distance < gap[from]) continue;
        for (std::uint32_t j : near[from]) {
          const double d = frozen.distance(j, points_[i]);
          if (d < best_distance || (d == best_distance && j < best)) {
            best = j;
            best_distance = d;
          }
        }
        next[n] = best;
      }
      std::uint64_t moved = 0;
      for (std::size_t n = 0; n < involved.size(); ++n) {
        if (next[n] == labels_[involved[n]]) continue;
        move(involved[n], next[n]);
        ++moved;
      }
      if (moved == 0) break;
    }
  }

  // The partition's error once the involved points settled; a trial still
  // far above `before` after the Lloyd rounds is given up there.
  double settle(const std::vector<std::uint32_t>& involved, double before) {
    lloyd_rounds(involved);
    const double rough = p_.total();
    if (rough > before * (1.0 + params_.give_up)) return rough;
    const std::size_t k = static_cast<std::size_t>(p_.k());
    struct around {
      std::vector<std::uint32_t> near;
      double gap = 0.0;       // distance from the cluster's mean to the nearest candidate's
      double lightest = 0.0;  // the least weight among the candidates
    };
    for (int sweep = 0; sweep < params_.max_sweeps; ++sweep) {
      std::vector<around> of(k);
      std::vector<char> known(k, 0);
      std::uint64_t moved = 0;
      for (std::uint32_t i : involved) {
        const std::uint32_t from = labels_[i];
        if (p_.weight[from] <= weights_[i]) continue;
        around& here = of[from];
        if (!known[from]) {
          here.near = nearest_of(p_, from, params_.candidates);
          known[from] = 1;
          if (here.near.empty()) continue;
          here.gap = std::sqrt(p_.between(from, here.near.front()));
          here.lightest = std::numeric_limits<double>::infinity();
          for (std::uint32_t j : here.near) here.lightest = std::min(here.lightest, static_cast<double>(p_.weight[j]));
        }
        if (here.near.empty()) continue;
        const double w = weights_[i];
        const double n_from = static_cast<double>(p_.weight[from]);
        const double own = p_.distance(from, points_[i]);
        const double leave = w * n_from / (n_from - w) * own;
        // A point deep inside its cluster stays: every candidate's mean is at
        // least gap - |x - m| away (the means of the sweep's start; a filter,
        // not a proof, as they drift while points move).
        const double reach = here.gap - std::sqrt(own);
        if (reach > 0.0 && w * here.lightest / (here.lightest + w) * reach * reach >= leave) continue;
        double best = leave;
        const std::uint32_t to = p_.cheapest_join(here.near.begin(), here.near.end(), from, points_[i], w, best);
        if (to == from || !(best < leave * (1.0 - 1e-9))) continue;
        move(i, to);
        ++moved;
      }
      if (moved == 0) break;
    }
    return p_.total();
  }

  const std::vector<packed_rgba>& points_;
  const std::vector<std::uint32_t>& weights_;
  std::vector<std::uint32_t>& labels_;
  swap_params params_;
  partition p_;
  std::vector<std::vector<std::uint32_t>> members_;
  std::vector<split> cuts_;
  std::vector<char> gain_known_;
  std::vector<double> merge_cost_;
  std::vector<std::uint32_t> merge_into_;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> tried_;
};

}  // namespace

swap_outcome swap_refine(const std::vector<packed_rgba>& points, const std::vector<std::uint32_t>& weights,
                         std::vector<std::uint32_t>& labels, int k, const swap_params& params) {
  if (points.size() != weights.size() || points.size() != labels.size() || k < 1) {
    throw error(error_kind::internal, "swap_refine: points, weights and labels differ in size");
  }
  return swapper(points, weights, labels, k, params).run();
}

}  // namespace kmq::detail
