// PNG decoding, libpng (zlib, its own unfiltering) against kmq's fast path
// (libdeflate, SSE2 Paeth) on the same files in one run, alternating, the
// fastest of R runs each, and each decoder's peak memory (a process of its own
// for each: this program run again with --side). Writes a Markdown table to
// stdout and, with --svg, the same as a bar chart.
//   png_decode [--runs R] [--svg OUT.svg] FILE.png...
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "bar_chart.hpp"
#include "child_process.hpp"
#include "format_decoders.hpp"
#include "machine_info.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_of(void (*decode)(const std::vector<std::uint8_t>&, kmq::io::decoded_image&),
                  const std::vector<std::uint8_t>& file, kmq::io::decoded_image& image) {
  const auto start = clock_type::now();
  decode(file, image);
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

void with_libpng(const std::vector<std::uint8_t>& file, kmq::io::decoded_image& image) {
  kmq::io::detail::decode_png_with_libpng(file.data(), file.size(), "bench", std::uint64_t{1} << 32, image);
}

void with_fast_path(const std::vector<std::uint8_t>& file, kmq::io::decoded_image& image) {
  if (!kmq::io::detail::decode_png_fast(file.data(), file.size(), "bench", std::uint64_t{1} << 32, image)) {
    kmq::io::detail::decode_png_with_libpng(file.data(), file.size(), "bench", std::uint64_t{1} << 32, image);
  }
}

std::vector<std::uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<std::uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The peak resident set, MiB, of a process that reads the file and decodes it once with `side`.
double peak_mib(const std::string& side, const std::string& path) {
  const kmq::bench::child_run run = kmq::bench::run_child({kmq::bench::own_executable(), "--side", side, path});
  if (run.exit_code != 0) throw std::runtime_error(side + " decode of " + path + " failed");
  return std::stod(run.output) / 1024.0;
}

}  // namespace

int main(int argc, char** argv) try {
  int runs = 5;
  std::string svg, side;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--runs") == 0 && i + 1 < argc) runs = std::atoi(argv[++i]);
    else if (std::strcmp(argv[i], "--svg") == 0 && i + 1 < argc) svg = argv[++i];
    else if (std::strcmp(argv[i], "--side") == 0 && i + 1 < argc) side = argv[++i];
    else files.emplace_back(argv[i]);
  }
  if (files.empty() || runs < 1) {
    std::fprintf(stderr, "usage: png_decode [--runs R] [--svg OUT.svg] FILE.png...\n");
    return 64;
  }
  if (!side.empty()) {  // a child: one decode, for its peak memory
    kmq::io::decoded_image image;
    (side == "libpng" ? with_libpng : with_fast_path)(read_file(files.front()), image);
    std::printf("%ld\n", kmq::bench::own_peak_kib());
    return 0;
  }
  const std::string machine = kmq::bench::machine_description();
  kmq::bench::bar_panel times = kmq::bench::amount_panel("decode time, ms", {"libpng", "fast path"}, 1);
  kmq::bench::bar_panel ratio = kmq::bench::ratio_panel("fast path time / libpng time");
  kmq::bench::bar_panel memory = kmq::bench::amount_panel("peak memory of a process that decodes the file, MiB", {"libpng", "fast path"}, 0);
  std::printf("# PNG decoding: libpng against kmq's fast path\n\n%s Fastest of %d alternating runs; "
              "bench/png_decode.cpp, one thread.\n\n",
              machine.c_str(), runs);
  std::printf("| file | pixels | fast path taken | libpng ms | fast path ms | fast / libpng | same pixels | peak MiB: libpng / fast path |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  for (const std::string& path : files) {
    const std::vector<std::uint8_t> file = read_file(path);
    kmq::io::decoded_image reference, fast;
    double libpng_best = 1e9, fast_best = 1e9;
    for (int r = 0; r < runs; ++r) {
      libpng_best = std::min(libpng_best, seconds_of(with_libpng, file, reference));
      fast_best = std::min(fast_best, seconds_of(with_fast_path, file, fast));
    }
    kmq::io::decoded_image probe;
    const bool taken =
        kmq::io::detail::decode_png_fast(file.data(), file.size(), "bench", std::uint64_t{1} << 32, probe);
    const double libpng_mib = peak_mib("libpng", path), fast_mib = peak_mib("fast", path);
    const std::string name = path.substr(path.find_last_of('/') + 1);
    std::printf("| %s | %ux%u | %s | %.1f | %.1f | %.2fx | %s | %.0f / %.0f |\n", name.c_str(),
                reference.width, reference.height, taken ? "yes" : "no", 1e3 * libpng_best, 1e3 * fast_best,
                fast_best / libpng_best, reference.pixels == fast.pixels ? "yes" : "NO", libpng_mib, fast_mib);
    times.rows.push_back({name, {1e3 * libpng_best, 1e3 * fast_best}});
    ratio.rows.push_back({name, {fast_best / libpng_best}});
    memory.rows.push_back({name, {libpng_mib, fast_mib}});
  }
  if (!svg.empty()) {
    kmq::bench::write_bar_chart(svg, {"PNG decoding: libpng against kmq's fast path", machine, {times, ratio, memory}});
    std::printf("\n![decode time, ratio and peak memory per file](%s)\n", svg.substr(svg.find_last_of('/') + 1).c_str());
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "png_decode: %s\n", e.what());
  return 1;
}
