#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <memory>
#include <string>

#include "kmq/backend_select.hpp"
#include "kmq/error.hpp"
#include "kmq/kmeans.hpp"
#include "kmq/observer.hpp"
#include "test_support.hpp"

namespace kmq {
namespace {

struct problem {
  std::vector<packed_rgba> points;
  std::vector<std::uint32_t> weights;
};

problem histogram_of(const std::vector<packed_rgba>& pixels) {
  const color_histogram h = build_color_histogram(pixels.data(), pixels.size());
  return {h.colors, h.counts};
}

kmeans_result run(const problem& p, const kmeans_params& params, backend& engine) {
  engine.upload(p.points.data(), p.weights.data(), p.points.size());
  return run_kmeans(engine, p.points, p.weights, params);
}

TEST(KMeans, RecoversKnownCentres) {
  const std::vector<packed_rgba> truth = {pack_rgba(40, 40, 40, 255), pack_rgba(200, 60, 60, 255),
                                          pack_rgba(60, 200, 60, 255), pack_rgba(60, 60, 200, 255),
                                          pack_rgba(220, 220, 90, 255)};
  const problem p = histogram_of(testing::clustered_pixels(truth, 3000, 10, 1));
  kmeans_params params;
  params.k = 5;
  params.seed = 3;
  auto engine = make_cpu_backend(2);
  const kmeans_result r = run(p, params, *engine);
  ASSERT_TRUE(r.converged);
  for (packed_rgba t : truth) {
    double best = 1e9;
    for (int j = 0; j < 5; ++j) {
      double d = 0;
      for (int c = 0; c < 4; ++c) d += std::pow(r.centroids[4 * j + c] - static_cast<float>(channel_of(t, c)), 2);
      best = std::min(best, d);
    }
    EXPECT_LT(best, 1.0) << "no centroid within 1 of " << std::hex << t;
  }
}

TEST(KMeans, WcssFromIntegerStatsEqualsTheDirectSum) {
  const problem p = histogram_of(testing::gradient_image(64, 48, 2));
  auto engine = make_cpu_backend(1);
  engine->upload(p.points.data(), p.weights.data(), p.points.size());
  const std::vector<float> centroids = {10.5f, 20.25f, 30, 255, 200, 100.75f, 50, 255, 128, 128, 128, 255};
  const step_stats s = engine->step(centroids.data(), 3);
  const auto labels = engine->labels();
  double direct = 0;
  for (std::size_t i = 0; i < p.points.size(); ++i) {
    double d = 0;
    for (int c = 0; c < 4; ++c) {
      const double diff = channel_of(p.points[i], c) - static_cast<double>(centroids[4 * labels[i] + c]);
      d += diff * diff;
    }
    direct += p.weights[i] * d;
  }
  EXPECT_NEAR(wcss_from_stats(s, centroids.data(), 3), direct, 1e-9 * direct);
}

TEST(KMeans, WcssNeverGrowsAndStopsAtMaxIter) {
  const problem p = histogram_of(testing::gradient_image(100, 80, 6));
  kmeans_params params;
  params.k = 24;
  params.tol = 0;
  params.max_iter = 7;
  auto engine = make_cpu_backend(2);
  const kmeans_result r = run(p, params, *engine);
  EXPECT_EQ(r.iterations, 7);
  EXPECT_EQ(r.passes.size(), 7u);
  EXPECT_FALSE(r.converged);
  for (std::size_t i = 1; i < r.passes.size(); ++i) {
    EXPECT_LE(r.passes[i].wcss, r.passes[i - 1].wcss * (1 + 1e-12));
  }
}

TEST(KMeans, ALooserTolStopsSooner) {
  const problem p = histogram_of(testing::gradient_image(100, 80, 6));
  kmeans_params loose, tight;
  loose.k = tight.k = 24;
  loose.tol = 1e-2;
  tight.tol = 0;
  tight.max_iter = 500;
  auto engine = make_cpu_backend(2);
  const kmeans_result a = run(p, loose, *engine);
  const kmeans_result b = run(p, tight, *engine);
  EXPECT_TRUE(a.converged);
  EXPECT_TRUE(b.converged);  // tol 0 still ends: when no label changes
  EXPECT_LT(a.iterations, b.iterations);
  EXPECT_LE(b.final_wcss(), a.final_wcss());
}

// Hands every call to another backend, and has no fork(): restarts then run
// one after another on it, as on a GPU.
class delegating : public backend {
 public:
  explicit delegating(std::unique_ptr<backend> inner) : inner_(std::move(inner)) {}
  backend& inner() { return *inner_; }
  std::string name() const override { return inner_->name(); }
  std::string device() const override { return inner_->device(); }
  int threads() const override { return inner_->threads(); }
  color_histogram histogram(const packed_rgba* p, std::size_t n) override { return inner_->histogram(p, n); }
  void upload(const packed_rgba* p, const std::uint32_t* w, std::size_t n) override { inner_->upload(p, w, n); }
  std::size_t size() const override { return inner_->size(); }
  void seed_begin(packed_rgba c) override { inner_->seed_begin(c); }
  void seed_add_centre(packed_rgba c) override { inner_->seed_add_centre(c); }
  std::uint64_t seed_potential() override { return inner_->seed_potential(); }
  void seed_sample(const std::uint64_t* t, int n, std::uint32_t* i) override { inner_->seed_sample(t, n, i); }
  void seed_candidate_potentials(const packed_rgba* c, int n, std::uint64_t* p) override {
    inner_->seed_candidate_potentials(c, n, p);
  }
  step_stats step(const float* centroids, int k) override { return inner_->step(centroids, k); }
  void assign_to_palette(const packed_rgba* p, int n) override { inner_->assign_to_palette(p, n); }
  std::vector<std::uint32_t> labels() override { return inner_->labels(); }
  void label_pixels(const std::uint32_t* m, std::size_t n, std::uint8_t* out) override { inner_->label_pixels(m, n, out); }

 private:
  std::unique_ptr<backend> inner_;
};

// Reports cluster 1 as empty on the first pass, as a backend would when no
// point is nearest to it.
class empties_first_pass final : public delegating {
 public:
  using delegating::delegating;
  step_stats step(const float* centroids, int k) override {
    step_stats s = delegating::step(centroids, k);
    if (passes_++ == 0) {
      s.count[0] += s.count[1];
      s.count[1] = 0;
      s.farthest = 0;
    }
    return s;
  }
  int passes_ = 0;
};

TEST(KMeans, AnEmptyClusterRestartsAtTheFarthestPoint) {
  const problem p = histogram_of(testing::gradient_image(40, 30, 1));
  kmeans_params params;
  params.k = 4;
  params.max_iter = 1;
  empties_first_pass engine(make_cpu_backend(1));
  const kmeans_result r = run(p, params, engine);
  for (int c = 0; c < 4; ++c) EXPECT_EQ(r.centroids[4 + c], static_cast<float>(channel_of(p.points[0], c)));
  EXPECT_FALSE(r.converged);  // never converged while a cluster is empty

  params.max_iter = 50;
  empties_first_pass again(make_cpu_backend(1));
  const kmeans_result later = run(p, params, again);
  EXPECT_TRUE(later.converged);
  for (std::uint64_t n : later.counts) EXPECT_GT(n, 0u);
}

TEST(KMeans, RestartsKeepTheBestRunAndOneRestartIsThePlainRun) {
  const problem p = histogram_of(testing::gradient_image(120, 90, 3));
  auto engine = make_cpu_backend(2);
  kmeans_params one;
  one.k = 12;
  one.seed = 5;
  kmeans_params three = one;
  three.restarts = 3;
  const kmeans_result a = run(p, one, *engine);
  const kmeans_result b = run(p, three, *engine);
  EXPECT_EQ(a.best_restart, 0);
  EXPECT_LE(b.final_wcss(), a.final_wcss());
  if (b.best_restart == 0) EXPECT_EQ(a.centroids, b.centroids);
  // The kept run is reproducible on its own terms: same seed list, same winner,
  // whatever the backend did before (labels left by an earlier run included).
  const kmeans_result again = run(p, three, *engine);
  EXPECT_EQ(again.centroids, b.centroids);
  EXPECT_EQ(again.best_restart, b.best_restart);
  auto fresh = make_cpu_backend(1);
  EXPECT_EQ(run(p, three, *fresh).centroids, b.centroids);
}


void expect_same_runs(const std::vector<kmeans_result>& a, const std::vector<kmeans_result>& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (std::size_t r = 0; r < a.size(); ++r) {
    SCOPED_TRACE(what + ", restart " + std::to_string(r));
    EXPECT_EQ(a[r].centroids, b[r].centroids);
    EXPECT_EQ(a[r].counts, b[r].counts);
    EXPECT_EQ(a[r].iterations, b[r].iterations);
    EXPECT_EQ(a[r].converged, b[r].converged);
    EXPECT_EQ(a[r].best_restart, static_cast<int>(r));
    ASSERT_EQ(a[r].passes.size(), b[r].passes.size());
    for (std::size_t i = 0; i < a[r].passes.size(); ++i) {
      EXPECT_EQ(a[r].passes[i].restart, static_cast<int>(r));
      EXPECT_EQ(a[r].passes[i].wcss, b[r].passes[i].wcss);
      EXPECT_EQ(a[r].passes[i].labels_changed, b[r].passes[i].labels_changed);
      EXPECT_EQ(a[r].passes[i].restarted_cluster, b[r].passes[i].restarted_cluster);
    }
  }
}

// A CPU backend whose forks are counted and may fail: the pass numbered
// `failing` among all its forks' passes (from 1; 0 = none) throws
// error(internal), in whichever fork and run it falls.
class counting_forks : public delegating {
 public:
  explicit counting_forks(int threads, int failing = 0) : delegating(make_cpu_backend(threads)), failing_(failing) {}
  std::unique_ptr<backend> fork(int threads, std::shared_ptr<const thread_share> share) override {
    ++forks;
    return std::make_unique<failing_at>(delegating::inner().fork(threads, std::move(share)), passes_, failing_);
  }
  int forks = 0;

 private:
  class failing_at : public delegating {
   public:
    failing_at(std::unique_ptr<backend> inner, std::shared_ptr<std::atomic<int>> passes, int failing)
        : delegating(std::move(inner)), passes_(std::move(passes)), failing_(failing) {}
    step_stats step(const float* centroids, int k) override {
      if (++*passes_ == failing_) throw error(error_kind::internal, "the device fell over");
      return delegating::step(centroids, k);
    }

   private:
    std::shared_ptr<std::atomic<int>> passes_;
    int failing_;
  };
  std::shared_ptr<std::atomic<int>> passes_ = std::make_shared<std::atomic<int>>(0);
  int failing_;
};

TEST(KMeans, RestartsSideBySideAreTheRunsOneAfterAnother) {
  // With threads to spare a CPU backend forks and runs the restarts on their
  // own threads; one thread, or a backend that cannot fork, runs them in turn.
  const problem p = histogram_of(testing::gradient_image(150, 100, 8));
  for (int restarts : {2, 3, 5}) {
    kmeans_params params;
    params.k = 10;
    params.seed = 77;
    params.restarts = restarts;
    delegating in_turn(make_cpu_backend(4));
    in_turn.upload(p.points.data(), p.weights.data(), p.points.size());
    const std::vector<kmeans_result> expected = run_kmeans_runs(in_turn, p.points, p.weights, params);
    for (const kmeans_result& run : expected) {
      // Every run's first pass labels every point anew, whichever ran before.
      EXPECT_EQ(run.passes.front().labels_changed, p.points.size());
    }
    for (int threads : {1, 2, 3, 8}) {
      counting_forks engine(threads);
      engine.upload(p.points.data(), p.weights.data(), p.points.size());
      expect_same_runs(run_kmeans_runs(engine, p.points, p.weights, params), expected,
                       std::to_string(restarts) + " restarts, " + std::to_string(threads) + " threads");
      // Side by side from two threads on: a fork per run, two runs a thread at most.
      EXPECT_EQ(engine.forks, threads == 1 ? 0 : std::min(restarts, 2 * threads)) << threads << " threads";
    }
    // Side by side, each run brings the labels of its final centroids: the
    // backend's for them, as the refinement would otherwise ask of it.
    auto side = make_cpu_backend(2);
    side->upload(p.points.data(), p.weights.data(), p.points.size());
    const std::vector<kmeans_result> runs = run_kmeans_runs(*side, p.points, p.weights, params);
    auto fresh = make_cpu_backend(1);
    fresh->upload(p.points.data(), p.weights.data(), p.points.size());
    for (const kmeans_result& run : runs) {
      fresh->step(run.centroids.data(), params.k);
      EXPECT_EQ(run.final_labels, fresh->labels());
    }
    for (const kmeans_result& run : expected) EXPECT_TRUE(run.final_labels.empty());
  }
}

TEST(KMeans, ARunThatFailsSideBySideFailsTheJobWithItsOwnError) {
  // The runs stopped because of it end as "cancelled" inside; what reaches
  // the caller is the failure itself, whichever fork and run had it.
  const problem p = histogram_of(testing::gradient_image(150, 100, 8));
  kmeans_params params;
  params.k = 10;
  params.restarts = 5;
  for (int failing : {3, 20, 45}) {
    counting_forks engine(2, failing);
    engine.upload(p.points.data(), p.weights.data(), p.points.size());
    try {
      run_kmeans_runs(engine, p.points, p.weights, params);
      ADD_FAILURE() << "no error at pass " << failing;
    } catch (const error& e) {
      EXPECT_EQ(e.kind(), error_kind::internal) << "pass " << failing << ": " << e.what();
      EXPECT_NE(std::string(e.what()).find("the device fell over"), std::string::npos);
    }
    EXPECT_EQ(engine.forks, 4);
  }
}

// Records the passes heard and stops the job at a given one.
class stopping_at : public observer {
 public:
  explicit stopping_at(std::size_t stop_after) : stop_after_(stop_after) {}
  bool on_iteration(const iteration_stats& pass) override {
    heard.push_back(pass);
    return heard.size() < stop_after_;
  }
  std::vector<iteration_stats> heard;

 private:
  std::size_t stop_after_;
};

TEST(KMeans, SideBySideRunsAreHeardInRestartOrderAndCanBeCancelled) {
  const problem p = histogram_of(testing::gradient_image(150, 100, 9));
  kmeans_params params;
  params.k = 12;
  params.restarts = 4;
  auto engine = make_cpu_backend(4);
  engine->upload(p.points.data(), p.weights.data(), p.points.size());
  stopping_at all(std::numeric_limits<std::size_t>::max());
  const std::vector<kmeans_result> runs = run_kmeans_runs(*engine, p.points, p.weights, params, &all);
  std::size_t at = 0;
  for (const kmeans_result& run : runs) {
    for (const iteration_stats& pass : run.passes) {
      ASSERT_LT(at, all.heard.size());
      EXPECT_EQ(all.heard[at].restart, pass.restart);
      EXPECT_EQ(all.heard[at].pass, pass.pass);
      ++at;
    }
  }
  EXPECT_EQ(at, all.heard.size());
  // Stopped in the second run's passes: the job ends with `cancelled`, every
  // thread joined, and the backend serves the next job.
  stopping_at early(runs[0].passes.size() + 2);
  try {
    run_kmeans_runs(*engine, p.points, p.weights, params, &early);
    ADD_FAILURE() << "not cancelled";
  } catch (const error& e) {
    EXPECT_EQ(e.kind(), error_kind::cancelled);
  }
  EXPECT_EQ(early.heard.size(), runs[0].passes.size() + 2);
  expect_same_runs(run_kmeans_runs(*engine, p.points, p.weights, params), runs, "after a cancelled job");
}

TEST(KMeans, RejectsBadParameters) {
  const problem p = histogram_of(testing::gradient_image(10, 10, 1));
  auto engine = make_cpu_backend(1);
  kmeans_params params;
  for (int k : {0, 257}) {
    params.k = k;
    EXPECT_THROW(run(p, params, *engine), error);
  }
  params.k = 2;
  params.max_iter = 0;
  EXPECT_THROW(run(p, params, *engine), error);
  params.max_iter = 10;
  params.tol = -1;
  EXPECT_THROW(run(p, params, *engine), error);
  params.tol = 0;
  params.restarts = 0;
  EXPECT_THROW(run(p, params, *engine), error);
  EXPECT_EQ(parse_init_method("random"), init_method::random);
  EXPECT_THROW(parse_init_method("forgy"), error);
}

}  // namespace
}  // namespace kmq
