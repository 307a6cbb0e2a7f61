// The cost of --dither fs: remap() of a 3840x2160 gradient-with-noise image
// (and of uniformly random RGBA noise, the search's worst case) at K = 16
// and 256, against the undithered remap, and the exact nearest-entry search
// on its own against a plain scan of every entry, answers compared. fs runs
// on one thread (one sequential pass); its thread CPU time is printed too,
// as the wall clock of a busy machine also counts waiting for a core. The
// memory each remap touched is its first call's minor page faults x the page
// size (every large block a fresh mmap in it, as in a one-image process; the
// timed runs after it reuse memory as usual).
//
// Built with the command-line benchmarks (KMQ_BUILD_CLI: build/bench/bench_dither).
// Writes a Markdown table to stdout and, with --svg, the same as a bar chart;
// exit status 1 when fs's runs differ or the search's answers differ from the scan's:
//   build/bench/bench_dither [--svg OUT.svg] [width height]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include <time.h>

#include "../host/src/nearest_palette.hpp"
#include "bar_chart.hpp"
#include "kmq/cpu_backend.hpp"
#include "kmq/quantize.hpp"
#include "kmq/random.hpp"
#include "kmq/remap.hpp"
#include "machine_info.hpp"
#include "memory_touched.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

// CPU time of the calling thread: on a busy machine the wall clock also
// counts the time the thread waited for a core.
double thread_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// Smooth ramps in every channel plus +-6 levels of noise: millions of
// distinct colours, the case where dithering matters and a per-colour cache
// would not help.
std::vector<kmq::packed_rgba> gradient_with_noise(std::uint32_t width, std::uint32_t height) {
  kmq::seeded_random random(42);
  std::vector<kmq::packed_rgba> pixels(static_cast<std::size_t>(width) * height);
  for (std::uint32_t y = 0; y < height; ++y) {
    for (std::uint32_t x = 0; x < width; ++x) {
      auto noisy = [&](double v) {
        return static_cast<std::uint32_t>(std::clamp(static_cast<int>(v) + static_cast<int>(random.below(13)) - 6, 0, 255));
      };
      const double u = static_cast<double>(x) / (width - 1), v = static_cast<double>(y) / (height - 1);
      pixels[static_cast<std::size_t>(y) * width + x] =
          kmq::pack_rgba(noisy(255 * u), noisy(255 * v), noisy(255 * (1 - u) * (0.5 + 0.5 * v)), 255);
    }
  }
  return pixels;
}

// The worst case for the cell lists: uniformly random colours and alpha
// (every cell of RGBA space is visited and built).
std::vector<kmq::packed_rgba> rgba_noise(std::uint32_t width, std::uint32_t height) {
  kmq::seeded_random random(43);
  std::vector<kmq::packed_rgba> pixels(static_cast<std::size_t>(width) * height);
  for (auto& p : pixels) p = static_cast<kmq::packed_rgba>(random.next());
  kmq::collapse_transparent(pixels.data(), pixels.size());
  return pixels;
}

// The chart's panels, a row added by each row of the table.
struct chart_panels {
  kmq::bench::bar_panel times = kmq::bench::amount_panel("remap of the whole image, ms", {"no dither", "fs"}, 0);
  kmq::bench::bar_panel search = kmq::bench::amount_panel("nearest entry of a random colour, ns",
                                                          {"kmq's search", "plain scan of every entry"}, 1);
  kmq::bench::bar_panel memory =
      kmq::bench::amount_panel("memory one remap touched, MiB (minor page faults x page size)", {"no dither", "fs"}, 1);
};

bool measure(const char* name, const std::vector<kmq::packed_rgba>& pixels, std::uint32_t width, std::uint32_t height,
             chart_panels& chart) {
  const kmq::image_view image = kmq::view_of(pixels.data(), width, height);
  for (int k : {16, 256}) {
    auto engine = kmq::make_cpu_backend(0);
    kmq::quantize_options options;
    options.kmeans.k = k;
    options.kmeans.max_iter = 10;  // the palette's quality does not matter here
    options.kmeans.restarts = 1;
    const kmq::quantize_result palette = kmq::quantize(image, options, *engine);
    double none_best = 1e9, fs_best = 1e9, fs_cpu_best = 1e9, none_mib = 0, fs_mib = 0;
    std::vector<std::uint8_t> first;
    for (int run = 0; run < 3; ++run) {
      kmq::label_map none, fs;
      auto start = clock_type::now();
      const double none_touched = kmq::bench::mib_touched_fresh_if(
          run == 0, [&] { none = kmq::remap(image, palette, kmq::remap_options{kmq::dither_method::none}, *engine); });
      none_best = std::min(none_best, seconds_since(start));
      start = clock_type::now();
      const double cpu_start = thread_seconds();
      const double fs_touched = kmq::bench::mib_touched_fresh_if(run == 0, [&] {
        fs = kmq::remap(image, palette, kmq::remap_options{kmq::dither_method::floyd_steinberg}, *engine);
      });
      fs_cpu_best = std::min(fs_cpu_best, thread_seconds() - cpu_start);
      fs_best = std::min(fs_best, seconds_since(start));
      if (run == 0) {
        first = fs.indices;
        none_mib = none_touched;
        fs_mib = fs_touched;
      }
      if (fs.indices != first) {
        std::fprintf(stderr, "bench_dither: %s K=%d: fs's runs differ\n", name, k);
        return false;
      }
    }

    // The search alone, on random colours (opaque, or any alpha).
    kmq::seeded_random random(7);
    std::vector<kmq::packed_rgba> queries(2000000);
    const kmq::packed_rgba opaque = kmq::alpha_of(pixels[0]) == 255 ? 0xff000000u : 0u;
    for (auto& q : queries) q = static_cast<kmq::packed_rgba>(random.next()) | opaque;
    const int n = static_cast<int>(palette.palette.size());
    kmq::detail::nearest_palette search(palette.palette.data(), n);
    std::vector<std::uint8_t> fast_answers(queries.size()), brute_answers(queries.size());
    double start = thread_seconds();
    for (std::size_t i = 0; i < queries.size(); ++i) fast_answers[i] = search.find(queries[i]);
    const double fast_ns = 1e9 * (thread_seconds() - start) / static_cast<double>(queries.size());
    start = thread_seconds();
    for (std::size_t i = 0; i < queries.size(); ++i) {
      brute_answers[i] = kmq::detail::nearest_palette::brute_force(palette.palette.data(), n, queries[i]);
    }
    const double brute_ns = 1e9 * (thread_seconds() - start) / static_cast<double>(queries.size());
    char cells[64] = "none (every entry scanned)";
    if (search.cells_built() > 0) {
      std::snprintf(cells, sizeof cells, "%zu, %.1f entries each", search.cells_built(),
                    static_cast<double>(search.candidates_listed()) / static_cast<double>(search.cells_built()));
    }
    const bool same = fast_answers == brute_answers;
    std::printf("| %s | %ux%u | %zu | %.1f | %.1f | %.1f | %.1fx | %.1f / %.1f | %s | %.1f | %.1f | %.2fx | %s | %s |\n",
                name, width, height, palette.palette.size(), 1e3 * none_best, 1e3 * fs_best, 1e3 * fs_cpu_best,
                fs_best / none_best, none_mib, fs_mib, opaque ? "opaque" : "any alpha", fast_ns, brute_ns,
                brute_ns / fast_ns, cells, same ? "yes" : "NO");
    std::fflush(stdout);
    const std::string label = std::string(name) + " K=" + std::to_string(palette.palette.size());
    chart.times.rows.push_back({label, {1e3 * none_best, 1e3 * fs_best}});
    chart.search.rows.push_back({label, {fast_ns, brute_ns}});
    chart.memory.rows.push_back({label, {none_mib, fs_mib}});
    if (!same) {
      std::fprintf(stderr, "bench_dither: %s K=%d: the search's answers differ from the plain scan's\n", name, k);
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string svg;
  std::vector<std::uint32_t> size;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--svg") == 0 && i + 1 < argc) svg = argv[++i];
    else size.push_back(static_cast<std::uint32_t>(std::strtoul(argv[i], nullptr, 10)));
  }
  if (size.empty()) size = {3840, 2160};
  if (size.size() != 2 || size[0] < 2 || size[1] < 2) {
    std::fprintf(stderr, "usage: bench_dither [--svg OUT.svg] [width height]   (each at least 2)\n");
    return 64;
  }
  const std::uint32_t width = size[0], height = size[1];
  kmq::bench::reused_large_blocks();
  const std::string machine = kmq::bench::machine_description();
  std::printf("# Floyd-Steinberg dithering: remap with and without, and the nearest-entry search\n\n"
              "%s Load average at the start: %s. Fastest of 3 runs of remap() (kmq's CPU backend, every core; fs "
              "on one thread, its CPU time beside), palettes of 10 Lloyd passes; memory: the first run's minor page "
              "faults x page size, every large block a fresh mmap in it (%s). The search: 2 M random colours, one "
              "thread, against a plain scan of every entry. bench/bench_dither.cpp.\n\n",
              machine.c_str(), kmq::bench::load_average_now().c_str(), kmq::bench::huge_pages_note().c_str());
  std::printf("| image | size | K | remap ms, no dither | fs ms | fs CPU ms | fs / no dither | MiB touched, no dither "
              "/ fs | search queries | search ns | plain scan ns | scan / search | cells built | same answers "
              "|\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  chart_panels chart;
  const bool ok = measure("gradient+noise", gradient_with_noise(width, height), width, height, chart) &&
                  measure("RGBA noise", rgba_noise(width, height), width, height, chart);
  if (!svg.empty()) {
    try {
      kmq::bench::write_bar_chart(svg, {"Floyd-Steinberg dithering and the nearest-entry search", machine,
                                        {chart.times, chart.search, chart.memory}});
    } catch (const std::exception& e) {
      std::fprintf(stderr, "bench_dither: %s\n", e.what());
      return 1;
    }
    std::printf("\n![remap times, search times and memory per image and K](%s)\n",
                svg.substr(svg.find_last_of('/') + 1).c_str());
  }
  return ok ? 0 : 1;
}
