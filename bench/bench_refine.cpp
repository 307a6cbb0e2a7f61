// Lloyd's passes and Hartigan's sweeps on photos' distinct colours, one
// thread: the two stages round 14 of issue 15 made cheaper with the same
// results (bench/NOTES.md). For each image and K: Lloyd from seed 0 (one
// run, the default tol), the mean time of its first ten passes and of the
// rest, then Hartigan's refinement from its labels with at most 8, 16 and 32
// sweeps (the pipeline's is 8, twice around the swap step). Fastest of R
// runs each. Run it on two builds to compare them; the moves and errors
// must be the same. Memory: what the first run of each touched (the Lloyd
// run's backend and upload included), minor page faults x page size, every
// large block a fresh mmap in it (the timed runs after it reuse memory).
// Writes a Markdown table to stdout and, with --svg, the same as a bar chart.
//   bench_refine [--runs R] [-k K,K...] [--svg OUT.svg] IMAGE...
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "bar_chart.hpp"
#include "hartigan.hpp"
#include "kmq/color_histogram.hpp"
#include "kmq/cpu_backend.hpp"
#include "kmq/io/image_decoder.hpp"
#include "kmq/kmeans.hpp"
#include "machine_info.hpp"
#include "memory_touched.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

struct lloyd_times {
  int passes = 0;
  double first_ms = std::numeric_limits<double>::infinity();  // mean of passes 1-10
  double late_ms = std::numeric_limits<double>::infinity();   // mean of the passes after
  double wcss = 0.0;
  double mib_touched = 0.0;  // by the first run
  std::vector<std::uint32_t> labels;
};

lloyd_times time_lloyd(const kmq::color_histogram& colours, int k, int runs) {
  lloyd_times best;
  for (int r = 0; r < runs; ++r) {
    std::unique_ptr<kmq::backend> engine;
    kmq::kmeans_params params;
    params.k = k;
    kmq::kmeans_result run;
    const double touched = kmq::bench::mib_touched_fresh_if(r == 0, [&] {
      engine = kmq::make_cpu_backend(1);
      engine->upload(colours.colors.data(), colours.counts.data(), colours.colors.size());
      run = kmq::run_kmeans(*engine, colours.colors, colours.counts, params);
    });
    if (r == 0) best.mib_touched = touched;
    double first = 0.0, late = 0.0;
    int early = 0, rest = 0;
    for (const kmq::iteration_stats& pass : run.passes) {
      if (pass.pass < 10) {
        first += pass.seconds;
        ++early;
      } else {
        late += pass.seconds;
        ++rest;
      }
    }
    best.passes = static_cast<int>(run.passes.size());
    best.wcss = run.final_wcss();
    best.first_ms = std::min(best.first_ms, early ? 1e3 * first / early : 0.0);
    best.late_ms = std::min(best.late_ms, rest ? 1e3 * late / rest : 0.0);
    if (best.labels.empty()) {
      engine->step(run.centroids.data(), k);
      best.labels = engine->labels();
    }
  }
  return best;
}

struct hartigan_times {
  double ms = std::numeric_limits<double>::infinity();
  kmq::detail::hartigan_outcome outcome;
  double wcss = 0.0;
  double mib_touched = 0.0;  // by the first run
};

hartigan_times time_hartigan(const kmq::color_histogram& colours, const std::vector<std::uint32_t>& labels, int k,
                             int sweeps, int runs) {
  hartigan_times best;
  kmq::detail::hartigan_params params;
  params.max_sweeps = sweeps;
  for (int r = 0; r < runs; ++r) {
    std::vector<std::uint32_t> moved = labels;
    const clock_type::time_point start = clock_type::now();
    const double touched = kmq::bench::mib_touched_fresh_if(
        r == 0, [&] { best.outcome = kmq::detail::hartigan_refine(colours.colors, colours.counts, moved, k, params); });
    best.ms = std::min(best.ms, 1e3 * seconds_since(start));
    if (r == 0) best.mib_touched = touched;
    if (r == 0) best.wcss = kmq::detail::partition_wcss(colours.colors, colours.counts, moved, k);
  }
  return best;
}

std::vector<int> parse_ks(const char* text) {
  std::vector<int> ks;
  std::stringstream list(text);
  for (std::string item; std::getline(list, item, ',');) ks.push_back(std::atoi(item.c_str()));
  return ks;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 5;
  std::vector<int> ks = {16, 64, 256};
  std::vector<std::string> files;
  std::string svg;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--runs") == 0 && i + 1 < argc) runs = std::atoi(argv[++i]);
    else if (std::strcmp(argv[i], "--svg") == 0 && i + 1 < argc) svg = argv[++i];
    else if (std::strcmp(argv[i], "-k") == 0 && i + 1 < argc) ks = parse_ks(argv[++i]);
    else files.emplace_back(argv[i]);
  }
  const bool ks_valid = !ks.empty() && std::all_of(ks.begin(), ks.end(), [](int k) { return k >= 2 && k <= 256; });
  if (files.empty() || runs < 1 || !ks_valid) {
    std::fprintf(stderr, "usage: bench_refine [--runs R] [-k K,K...] [--svg OUT.svg] IMAGE...   (K from 2 to 256)\n");
    return 64;
  }
  const std::string machine = kmq::bench::machine_description();
  kmq::bench::bar_panel pass_ms =
      kmq::bench::amount_panel("Lloyd, ms a pass (passes 1-10, later ones)", {"passes 1-10", "later"}, 3);
  kmq::bench::bar_panel sweep_ms =
      kmq::bench::amount_panel("Hartigan from Lloyd's labels, ms", {"8 sweeps", "16 sweeps", "32 sweeps"}, 1);
  kmq::bench::bar_panel memory = kmq::bench::amount_panel(
      "memory the first run touched, MiB (minor page faults x page size)", {"Lloyd's run", "Hartigan, 8 sweeps"}, 2);
  kmq::bench::reused_large_blocks();
  std::printf("# Lloyd's passes and Hartigan's sweeps on distinct colours\n\n"
              "%s Load average at the start: %s. One thread, fastest of %d runs; Lloyd: seed 0, one run, "
              "default tol; Hartigan from its labels; MiB: what the first run touched (minor page faults x page size, "
              "every large block a fresh mmap in it; %s). bench/bench_refine.cpp.\n\n",
              machine.c_str(), kmq::bench::load_average_now().c_str(), runs, kmq::bench::huge_pages_note().c_str());
  std::printf("| image | colours | K | Lloyd passes | ms a pass, 1-10 | ms a pass, later | Hartigan 8 sweeps ms | "
              "16 ms | 32 ms | moves in 8 | WCSS Lloyd / 8 / 32 sweeps | MiB touched: Lloyd / Hartigan 8 |\n"
              "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  const kmq::io::image_decoder decoder;
  for (const std::string& path : files) {
    kmq::io::decoded_image image = decoder.decode_file(path);
    kmq::collapse_transparent(image.pixels.data(), image.pixels.size());
    const kmq::color_histogram colours = kmq::build_color_histogram(image.pixels.data(), image.pixels.size());
    const std::string name = path.substr(path.find_last_of('/') + 1);
    for (int k : ks) {
      if (colours.colors.size() <= static_cast<std::size_t>(k)) continue;
      const lloyd_times lloyd = time_lloyd(colours, k, runs);
      const hartigan_times h8 = time_hartigan(colours, lloyd.labels, k, 8, runs);
      const hartigan_times h16 = time_hartigan(colours, lloyd.labels, k, 16, runs);
      const hartigan_times h32 = time_hartigan(colours, lloyd.labels, k, 32, runs);
      std::printf("| %s | %zu | %d | %d | %.3f | %.3f | %.1f | %.1f | %.1f | %llu | %.6g / %.6g / %.6g | %.2f / %.2f |\n",
                  name.c_str(), colours.colors.size(), k, lloyd.passes, lloyd.first_ms, lloyd.late_ms, h8.ms, h16.ms,
                  h32.ms, static_cast<unsigned long long>(h8.outcome.moves), lloyd.wcss, h8.wcss, h32.wcss,
                  lloyd.mib_touched, h8.mib_touched);
      std::fflush(stdout);
      const std::string label = name + " K=" + std::to_string(k);
      pass_ms.rows.push_back({label, {lloyd.first_ms, lloyd.late_ms}});
      sweep_ms.rows.push_back({label, {h8.ms, h16.ms, h32.ms}});
      memory.rows.push_back({label, {lloyd.mib_touched, h8.mib_touched}});
    }
  }
  if (!svg.empty()) {
    try {
      kmq::bench::write_bar_chart(svg, {"Lloyd's passes and Hartigan's sweeps on distinct colours", machine, {pass_ms, sweep_ms, memory}});
    } catch (const std::exception& e) {
      std::fprintf(stderr, "bench_refine: %s\n", e.what());
      return 1;
    }
    std::printf("\n![Lloyd's ms a pass and Hartigan's sweeps per image and K](%s)\n", svg.substr(svg.find_last_of('/') + 1).c_str());
  }
  return 0;
}
