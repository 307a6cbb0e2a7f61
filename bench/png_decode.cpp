// PNG decoding, libpng (zlib, its own unfiltering) against kmq's fast path
// (libdeflate, SSE2 Paeth) on the same files in one run, alternating, the
// fastest of R runs each. Writes a Markdown table to stdout.
//   png_decode [--runs R] FILE.png...
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

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

}  // namespace

int main(int argc, char** argv) {
  int runs = 5;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--runs") == 0 && i + 1 < argc) runs = std::atoi(argv[++i]);
    else files.emplace_back(argv[i]);
  }
  if (files.empty() || runs < 1) {
    std::fprintf(stderr, "usage: png_decode [--runs R] FILE.png...\n");
    return 64;
  }
  std::printf("# PNG decoding: libpng against kmq's fast path\n\n%s Fastest of %d alternating runs; "
              "bench/png_decode.cpp, one thread.\n\n",
              kmq::bench::machine_description().c_str(), runs);
  std::printf("| file | pixels | fast path taken | libpng ms | fast path ms | fast / libpng | same pixels |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  for (const std::string& path : files) {
    std::ifstream in(path, std::ios::binary);
    const std::vector<std::uint8_t> file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    kmq::io::decoded_image reference, fast;
    double libpng_best = 1e9, fast_best = 1e9;
    for (int r = 0; r < runs; ++r) {
      libpng_best = std::min(libpng_best, seconds_of(with_libpng, file, reference));
      fast_best = std::min(fast_best, seconds_of(with_fast_path, file, fast));
    }
    kmq::io::decoded_image probe;
    const bool taken =
        kmq::io::detail::decode_png_fast(file.data(), file.size(), "bench", std::uint64_t{1} << 32, probe);
    std::printf("| %s | %ux%u | %s | %.1f | %.1f | %.2fx | %s |\n", path.substr(path.find_last_of('/') + 1).c_str(),
                reference.width, reference.height, taken ? "yes" : "no", 1e3 * libpng_best, 1e3 * fast_best,
                fast_best / libpng_best, reference.pixels == fast.pixels ? "yes" : "NO");
  }
  return 0;
}
