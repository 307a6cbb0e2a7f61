// The colour histogram of decoded images: the radix sort of every (colour,
// pixel) pair that build_color_histogram() used before (copied here as it
// was at 1d4ca4c) against what it does now (a hash of the distinct colours,
// then a sort of only those), and the two-level table that it took and takes
// over a megapixel with one alpha, same pixels, one run, alternating, fastest
// of R each. Every image
// also once with an alpha ramp (alpha 128-255 by row), which never takes the
// table. Large allocations are fresh mmaps every call (fixed
// M_MMAP_THRESHOLD), as in a process that quantizes one image: their page
// faults are part of the time, and their count x the page size is the memory
// each call touched. Writes a Markdown table to stdout and, with --svg, the
// same as a bar chart.
//   histogram [--runs R] [--reuse-memory] [--svg OUT.svg] IMAGE...
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "color_histogram_hash.hpp"
#include "kmq/color_histogram.hpp"
#include "bar_chart.hpp"
#include "kmq/io/image_decoder.hpp"
#include "machine_info.hpp"
#include "memory_touched.hpp"

namespace {

using kmq::color_histogram;
using kmq::packed_rgba;

namespace before {

bool radix_pass(const std::vector<packed_rgba>& keys, const std::vector<std::uint32_t>& order,
                std::vector<packed_rgba>& keys_out, std::vector<std::uint32_t>& order_out, int shift) {
  std::array<std::size_t, 257> offsets{};
  for (packed_rgba key : keys) ++offsets[((key >> shift) & 0xffu) + 1];
  for (std::size_t b = 1; b < offsets.size(); ++b) {
    if (offsets[b] == keys.size()) return false;
  }
  for (std::size_t b = 1; b < offsets.size(); ++b) offsets[b] += offsets[b - 1];
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const std::size_t slot = offsets[(keys[i] >> shift) & 0xffu]++;
    keys_out[slot] = keys[i];
    order_out[slot] = order[i];
  }
  return true;
}

color_histogram by_radix_sort(const packed_rgba* pixels, std::size_t count) {
  std::vector<packed_rgba> keys(pixels, pixels + count);
  std::vector<std::uint32_t> order(count);
  for (std::size_t i = 0; i < count; ++i) order[i] = static_cast<std::uint32_t>(i);
  std::vector<packed_rgba> keys_swap(count);
  std::vector<std::uint32_t> order_swap(count);
  for (int shift = 0; shift < 32; shift += 8) {
    if (radix_pass(keys, order, keys_swap, order_swap, shift)) {
      keys.swap(keys_swap);
      order.swap(order_swap);
    }
  }
  keys_swap = {};
  order_swap = {};
  color_histogram histogram;
  histogram.pixel_to_color.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    if (i == 0 || keys[i] != keys[i - 1]) {
      histogram.colors.push_back(keys[i]);
      histogram.counts.push_back(0);
    }
    ++histogram.counts.back();
    histogram.pixel_to_color[order[i]] = static_cast<std::uint32_t>(histogram.colors.size() - 1);
  }
  return histogram;
}

}  // namespace before

struct timing {
  double best_s = 1e9;
  long faults = 0;  // minor page faults of the last call
};

template <typename Build>
color_histogram timed(Build build, const std::vector<packed_rgba>& pixels, timing& t) {
  const long faults_before = kmq::bench::minor_faults_so_far();
  const auto start = std::chrono::steady_clock::now();
  color_histogram h = build(pixels.data(), pixels.size());
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  t.best_s = std::min(t.best_s, s);
  t.faults = kmq::bench::minor_faults_so_far() - faults_before;
  return h;
}

bool same(const color_histogram& a, const color_histogram& b) {
  return a.colors == b.colors && a.counts == b.counts && a.pixel_to_color == b.pixel_to_color;
}

bool one_alpha(const std::vector<packed_rgba>& pixels) {
  return std::all_of(pixels.begin(), pixels.end(), [&](packed_rgba p) { return (p >> 24) == (pixels[0] >> 24); });
}

// The chart's panels, a row added by each row of the table.
struct chart_panels {
  explicit chart_panels(bool fresh_memory)
      : memory(kmq::bench::amount_panel(fresh_memory ? "memory one call touched, MiB (minor page faults x page size)"
                                                     : "memory one call touched, MiB (minor page faults x page size; "
                                                       "--reuse-memory: glibc reuses what the last call freed)",
                                        paths(), 1)) {}
  static std::vector<std::string> paths() { return {"radix sort of every pixel", "hash of the distinct colours", "two-level table"}; }
  kmq::bench::bar_panel times = kmq::bench::amount_panel("one call, ms", paths(), 2);
  kmq::bench::bar_panel ratio = kmq::bench::ratio_panel("now / before (time)");
  kmq::bench::bar_panel memory;
};

void row(const std::string& name, std::uint32_t width, std::uint32_t height, const std::vector<packed_rgba>& pixels,
         int runs, chart_panels& chart) {
  // Over a megapixel with one alpha, build_color_histogram() took and takes the two-level table.
  const bool table = pixels.size() >= (std::size_t{1} << 20) && one_alpha(pixels);
  timing radix, hash, now;
  color_histogram want, hashed, got;
  for (int r = 0; r < runs; ++r) {
    want = timed(before::by_radix_sort, pixels, radix);
    hashed = timed([](const packed_rgba* p, std::size_t n) { return kmq::detail::histogram_by_hash(p, n); }, pixels,
                   hash);
    if (table) got = timed(kmq::build_color_histogram, pixels, now);
  }
  kmq::detail::hash_stats stats;
  kmq::detail::histogram_by_hash(pixels.data(), pixels.size(), &stats);
  const timing& before_t = table ? now : radix;
  const timing& now_t = table ? now : hash;
  std::printf("| %s | %ux%u | %zu | %s | %.2f (%ld) | %.2f (%ld)%s |", name.c_str(), width, height,
              want.colors.size(), table ? "table / table" : "radix sort / hash", 1e3 * radix.best_s, radix.faults,
              1e3 * hash.best_s, hash.faults, stats.fell_back_to_sort ? " SORTED INSTEAD" : "");
  if (table) std::printf(" %.2f (%ld) |", 1e3 * now.best_s, now.faults);
  else std::printf(" |");
  std::printf(" %.2fx | %s |\n", now_t.best_s / before_t.best_s,
              same(want, hashed) && (!table || same(want, got)) ? "yes" : "NO");
  const double none = std::nan("");
  chart.times.rows.push_back({name, {1e3 * radix.best_s, 1e3 * hash.best_s, table ? 1e3 * now.best_s : none}});
  chart.ratio.rows.push_back({name, {now_t.best_s / before_t.best_s}});
  using kmq::bench::mib_of_faults;
  chart.memory.rows.push_back(
      {name, {mib_of_faults(radix.faults), mib_of_faults(hash.faults), table ? mib_of_faults(now.faults) : none}});
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 9;
  bool fresh_memory = true;
  std::string svg;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--runs") == 0 && i + 1 < argc) runs = std::atoi(argv[++i]);
    else if (std::strcmp(argv[i], "--svg") == 0 && i + 1 < argc) svg = argv[++i];
    else if (std::strcmp(argv[i], "--reuse-memory") == 0) fresh_memory = false;
    else files.emplace_back(argv[i]);
  }
  if (files.empty() || runs < 1) {
    std::fprintf(stderr, "usage: histogram [--runs R] [--reuse-memory] [--svg OUT.svg] IMAGE...\n");
    return 64;
  }
  if (fresh_memory) kmq::bench::fresh_large_blocks();
  const std::string machine = kmq::bench::machine_description();
  chart_panels chart(fresh_memory);
  std::printf("# Colour histogram: radix sort of every pixel (before) against the hash of distinct colours\n\n"
              "%s Load average at the start: %s. Fastest of %d alternating runs, ms (minor page faults of one "
              "call), every large block a fresh mmap as in a one-image process (`--reuse-memory`: glibc's "
              "reuse instead); bench/histogram.cpp, one thread.\n\n",
              machine.c_str(), kmq::bench::load_average_now().c_str(), runs);
  std::printf("| image | size | distinct colours | path before / now | radix sort of every pixel | hash of the "
              "distinct colours | two-level table | now / before | identical |\n|---|---|---|---|---|---|---|---|---|\n");
  const kmq::io::image_decoder decoder;
  for (const std::string& path : files) {
    kmq::io::decoded_image image = decoder.decode_file(path);
    kmq::collapse_transparent(image.pixels.data(), image.pixels.size());
    const std::string name = path.substr(path.find_last_of('/') + 1);
    row(name, image.width, image.height, image.pixels, runs, chart);
    for (std::uint32_t y = 0; y < image.height; ++y) {
      const packed_rgba alpha = (128u + 127u * y / std::max(1u, image.height - 1)) << 24;
      for (std::uint32_t x = 0; x < image.width; ++x) {
        packed_rgba& p = image.pixels[static_cast<std::size_t>(y) * image.width + x];
        p = (p & 0x00ffffffu) | alpha;
      }
    }
    row(name + " + alpha ramp", image.width, image.height, image.pixels, runs, chart);
  }
  if (!svg.empty()) {
    try {
      kmq::bench::write_bar_chart(svg, {"Colour histogram: radix sort (before) against the hash (now)", machine,
                                        {chart.times, chart.ratio, chart.memory}});
      std::printf("\n![time, ratio and memory touched per image](%s)\n", svg.substr(svg.find_last_of('/') + 1).c_str());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "histogram: %s\n", e.what());
      return 1;
    }
  }
  return 0;
}
