// Google Benchmark micro-benchmarks of the CPU backend's hot passes: one
// assignment step, the colour histogram and k-means++ seeding. Each also
// reports "MiB_touched": the memory its set-up and first call touched (minor
// page faults x page size, every large block a fresh mmap during them:
// memory_touched.hpp), the backend's per-point state included; the timed
// calls reuse freed memory, as the passes of one run do.
//   bench_cpu_step --benchmark_out=results/bench_cpu_step.json --benchmark_out_format=json
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "kmq/backend_select.hpp"
#include "kmq/kmeans.hpp"
#include "kmq/random.hpp"
#include "memory_touched.hpp"

namespace {

// Photo-like points: a few hundred thousand distinct colours with skewed counts.
struct point_set {
  std::vector<kmq::packed_rgba> points;
  std::vector<std::uint32_t> weights;
};

point_set make_points(std::size_t n) {
  kmq::seeded_random random(1);
  point_set s;
  for (std::size_t i = 0; i < n; ++i) s.points.push_back(static_cast<kmq::packed_rgba>(random.next()) | 0xff000000u);
  // Distinct and ascending, as a histogram delivers them.
  std::sort(s.points.begin(), s.points.end());
  s.points.erase(std::unique(s.points.begin(), s.points.end()), s.points.end());
  for (std::size_t i = 0; i < s.points.size(); ++i) s.weights.push_back(1 + static_cast<std::uint32_t>(random.below(64)));
  return s;
}

std::vector<float> make_centroids(int k, std::uint64_t seed) {
  kmq::seeded_random random(seed);
  std::vector<float> c(static_cast<std::size_t>(k) * 4);
  for (auto& v : c) v = static_cast<float>(random.below(256));
  return c;
}

// Every point scanned against every centroid: two centroid sets far apart
// take turns, so no bound can settle a point.
void step_full_scan(benchmark::State& state) {
  const int k = static_cast<int>(state.range(0));
  const point_set s = make_points(300000);
  std::unique_ptr<kmq::backend> engine;
  const std::vector<float> sets[2] = {make_centroids(k, 2), make_centroids(k, 3)};
  int turn = 0;
  state.counters["MiB_touched"] = kmq::bench::mib_touched_fresh([&] {
    engine = kmq::make_cpu_backend(static_cast<int>(state.range(1)));
    engine->upload(s.points.data(), s.weights.data(), s.points.size());
    engine->step(sets[turn ^= 1].data(), k);
  });
  for (auto _ : state) benchmark::DoNotOptimize(engine->step(sets[turn ^= 1].data(), k));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(s.points.size()));
  state.counters["distances/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * s.points.size() * k,
                                                     benchmark::Counter::kIsRate);
}
BENCHMARK(step_full_scan)->ArgsProduct({{16, 64, 256}, {1, 0}})->ArgNames({"k", "threads"})->Unit(benchmark::kMillisecond);

// The best case for the bounds, named for what it is: one centroid nudged by
// 0.01 and back, every other still, so nearly every point is settled.
void step_one_centroid_nudged(benchmark::State& state) {
  const int k = static_cast<int>(state.range(0));
  const point_set s = make_points(300000);
  std::unique_ptr<kmq::backend> engine;
  std::vector<float> centroids = make_centroids(k, 2);
  state.counters["MiB_touched"] = kmq::bench::mib_touched_fresh([&] {
    engine = kmq::make_cpu_backend(static_cast<int>(state.range(1)));
    engine->upload(s.points.data(), s.weights.data(), s.points.size());
    engine->step(centroids.data(), k);
  });
  float nudge = 0.01f;
  for (auto _ : state) {
    centroids[0] += (nudge = -nudge);
    benchmark::DoNotOptimize(engine->step(centroids.data(), k));
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(s.points.size()));
}
BENCHMARK(step_one_centroid_nudged)->ArgsProduct({{16, 64, 256}, {1, 0}})->ArgNames({"k", "threads"})->Unit(benchmark::kMillisecond);

// Real late passes: a Lloyd run from random centres (the same update as
// kmeans.cpp's: each centroid to its cluster's mean) records the centroids of
// its passes; each iteration replays passes 0 to 19 (not timed), so labels
// and bounds are what the run had there, then times passes 20 to 29. The
// time is of the ten passes together.
constexpr int late_first = 20, late_passes = 10;

std::vector<std::vector<float>> late_centroids(const point_set& s, int k) {
  auto engine = kmq::make_cpu_backend(0);
  engine->upload(s.points.data(), s.weights.data(), s.points.size());
  std::vector<float> centroids = make_centroids(k, 2);
  std::vector<std::vector<float>> passes;
  for (int pass = 0; pass < late_first + late_passes; ++pass) {
    passes.push_back(centroids);
    const kmq::step_stats stats = engine->step(centroids.data(), k);
    for (int j = 0; j < k; ++j) {
      if (stats.count[static_cast<std::size_t>(j)] == 0) continue;
      for (int c = 0; c < 4; ++c) {
        centroids[static_cast<std::size_t>(j) * 4 + c] = static_cast<float>(
            static_cast<double>(stats.sum[static_cast<std::size_t>(j) * 4 + c]) / static_cast<double>(stats.count[static_cast<std::size_t>(j)]));
      }
    }
  }
  return passes;
}

void step_late_in_a_run(benchmark::State& state) {
  const int k = static_cast<int>(state.range(0));
  const point_set s = make_points(300000);
  const std::vector<std::vector<float>> passes = late_centroids(s, k);
  std::unique_ptr<kmq::backend> engine;
  state.counters["MiB_touched"] = kmq::bench::mib_touched_fresh([&] {
    engine = kmq::make_cpu_backend(static_cast<int>(state.range(1)));
    engine->upload(s.points.data(), s.weights.data(), s.points.size());
    engine->step(passes[0].data(), k);
  });
  for (auto _ : state) {
    state.PauseTiming();
    for (int pass = 0; pass < late_first; ++pass) engine->step(passes[static_cast<std::size_t>(pass)].data(), k);
    state.ResumeTiming();
    for (int pass = late_first; pass < late_first + late_passes; ++pass) {
      benchmark::DoNotOptimize(engine->step(passes[static_cast<std::size_t>(pass)].data(), k));
    }
  }
  state.SetItemsProcessed(state.iterations() * late_passes * static_cast<std::int64_t>(s.points.size()));
}
BENCHMARK(step_late_in_a_run)->ArgsProduct({{16, 64, 256}, {1, 0}})->ArgNames({"k", "threads"})->Unit(benchmark::kMillisecond);

void histogram(benchmark::State& state) {
  kmq::seeded_random random(3);
  std::vector<kmq::packed_rgba> pixels(static_cast<std::size_t>(state.range(0)));
  for (auto& p : pixels) p = (static_cast<kmq::packed_rgba>(random.next()) & 0x00f8fcf8u) | 0xff000000u;
  auto engine = kmq::make_cpu_backend(0);
  state.counters["MiB_touched"] =
      kmq::bench::mib_touched_fresh([&] { benchmark::DoNotOptimize(engine->histogram(pixels.data(), pixels.size())); });
  for (auto _ : state) benchmark::DoNotOptimize(engine->histogram(pixels.data(), pixels.size()));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(histogram)->Arg(1920 * 1080)->Arg(3840 * 2160)->Unit(benchmark::kMillisecond);

void seeding(benchmark::State& state) {
  const int k = static_cast<int>(state.range(0));
  const point_set s = make_points(300000);
  std::unique_ptr<kmq::backend> engine;
  state.counters["MiB_touched"] = kmq::bench::mib_touched_fresh([&] {
    engine = kmq::make_cpu_backend(0);
    engine->upload(s.points.data(), s.weights.data(), s.points.size());
    benchmark::DoNotOptimize(kmq::seed_centres(*engine, s.points, s.weights, k, kmq::init_method::kmeanspp, 0));
  });
  for (auto _ : state) {
    benchmark::DoNotOptimize(kmq::seed_centres(*engine, s.points, s.weights, k, kmq::init_method::kmeanspp, 0));
  }
}
BENCHMARK(seeding)->Arg(16)->Arg(256)->Unit(benchmark::kMillisecond);

}  // namespace

// BENCHMARK_MAIN(), with glibc's threshold for large blocks fixed from the start (mib_touched_fresh sets it).
int main(int argc, char** argv) {
  kmq::bench::reused_large_blocks();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
