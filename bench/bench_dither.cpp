// The cost of --dither fs: remap() of a 3840x2160 gradient-with-noise image
// (and of uniformly random RGBA noise, the search's worst case) at K = 16
// and 256, against the undithered remap, and the exact nearest-entry search
// on its own against a plain scan of every entry, answers compared. fs runs
// on one thread (one sequential pass); its thread CPU time is printed too,
// as the wall clock of a busy machine also counts waiting for a core.
//
// Built with the benchmarks (build/bench/bench_dither); prints its lines, no table:
//   build/bench/bench_dither [width height]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <time.h>

#include "../host/src/nearest_palette.hpp"
#include "kmq/cpu_backend.hpp"
#include "kmq/quantize.hpp"
#include "kmq/random.hpp"
#include "kmq/remap.hpp"

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

bool measure(const char* name, const std::vector<kmq::packed_rgba>& pixels, std::uint32_t width, std::uint32_t height) {
  const kmq::image_view image = kmq::view_of(pixels.data(), width, height);
  for (int k : {16, 256}) {
    auto engine = kmq::make_cpu_backend(0);
    kmq::quantize_options options;
    options.kmeans.k = k;
    options.kmeans.max_iter = 10;  // the palette's quality does not matter here
    options.kmeans.restarts = 1;
    const kmq::quantize_result palette = kmq::quantize(image, options, *engine);
    double none_best = 1e9, fs_best = 1e9, fs_cpu_best = 1e9;
    std::vector<std::uint8_t> first;
    for (int run = 0; run < 3; ++run) {
      auto start = clock_type::now();
      const kmq::label_map none = kmq::remap(image, palette, kmq::remap_options{kmq::dither_method::none}, *engine);
      none_best = std::min(none_best, seconds_since(start));
      start = clock_type::now();
      const double cpu_start = thread_seconds();
      const kmq::label_map fs = kmq::remap(image, palette, kmq::remap_options{kmq::dither_method::floyd_steinberg}, *engine);
      fs_cpu_best = std::min(fs_cpu_best, thread_seconds() - cpu_start);
      fs_best = std::min(fs_best, seconds_since(start));
      if (run == 0) first = fs.indices;
      if (fs.indices != first) {
        std::printf("%s K=%d: runs differ!\n", name, k);
        return false;
      }
    }
    std::printf("%s %ux%u, K=%zu: remap none %.3f s (%s), fs %.3f s (1 thread; %.3f s of its CPU), best of 3\n", name,
                width, height, palette.palette.size(), none_best, engine->device().c_str(), fs_best, fs_cpu_best);

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
    const double fast = thread_seconds() - start;
    start = thread_seconds();
    for (std::size_t i = 0; i < queries.size(); ++i) {
      brute_answers[i] = kmq::detail::nearest_palette::brute_force(palette.palette.data(), n, queries[i]);
    }
    const double brute = thread_seconds() - start;
    char cells[96] = "every entry scanned (small palette)";
    if (search.cells_built() > 0) {
      std::snprintf(cells, sizeof cells, "%zu cells built, %.1f entries listed per cell", search.cells_built(),
                    static_cast<double>(search.candidates_listed()) / static_cast<double>(search.cells_built()));
    }
    std::printf("  nearest of 2 M random %s colours: search %.1f ns/query, plain scan of every entry %.1f ns/query, %s; %s\n",
                opaque ? "opaque" : "RGBA", 1e9 * fast / queries.size(), 1e9 * brute / queries.size(),
                fast_answers == brute_answers ? "same answers" : "ANSWERS DIFFER", cells);
    if (fast_answers != brute_answers) return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const std::uint32_t width = argc > 2 ? static_cast<std::uint32_t>(std::atoi(argv[1])) : 3840;
  const std::uint32_t height = argc > 2 ? static_cast<std::uint32_t>(std::atoi(argv[2])) : 2160;
  const bool ok = measure("gradient+noise", gradient_with_noise(width, height), width, height) &&
                  measure("RGBA noise", rgba_noise(width, height), width, height);
  return ok ? 0 : 1;
}
