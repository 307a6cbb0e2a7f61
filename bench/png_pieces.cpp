// The PNG encoder's deflate in pieces (io/src/deflate_pieces.cpp): for each
// palette PNG given (kmq's output), its raw rows compressed as one stream (one
// libdeflate call, the encoder before pieces) and in pieces of each size asked
// on each thread count asked, the fastest of R runs each, alternating, same
// run. Writes a Markdown table to stdout: bytes, growth, milliseconds, speed-up,
// and the memory the first run of each touched (minor page faults x page
// size, every large block a fresh mmap in it: the output buffers, each
// piece's own; the timed runs after it reuse memory).
//   png_pieces [--runs R] [--levels 1,6,9,12] [--pieces 262144,524288,1048576] [--threads 1,2] FILE.png...
#include <png.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "deflate_pieces.hpp"
#include "machine_info.hpp"
#include "memory_touched.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

std::vector<long> numbers(const char* list) {
  std::vector<long> out;
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');) out.push_back(std::atol(item.c_str()));
  return out;
}

struct raw_rows {
  std::uint32_t width = 0, height = 0;
  int bit_depth = 0;
  std::vector<std::uint8_t> bytes;  // filter byte 0 + the packed row, as png_image_data.cpp makes them
};

// The rows as stored (packed, unfiltered by libpng), each after a 0 filter byte.
bool read_rows(const char* path, raw_rows& out) {
  FILE* f = std::fopen(path, "rb");
  if (!f) return false;
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    std::fclose(f);
    return false;
  }
  png_init_io(png, f);
  png_read_info(png, info);
  out.width = png_get_image_width(png, info);
  out.height = png_get_image_height(png, info);
  out.bit_depth = png_get_bit_depth(png, info);
  const std::size_t row = png_get_rowbytes(png, info);
  out.bytes.assign((row + 1) * out.height, 0);
  for (std::uint32_t y = 0; y < out.height; ++y) png_read_row(png, &out.bytes[y * (row + 1) + 1], nullptr);
  png_destroy_read_struct(&png, &info, nullptr);
  std::fclose(f);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 3;
  std::vector<long> levels{1, 6, 9, 12}, pieces{1 << 18, 1 << 19, 1 << 20}, threads{1, 2};
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    if (i + 1 < argc && std::strcmp(argv[i], "--runs") == 0) runs = std::atoi(argv[++i]);
    else if (i + 1 < argc && std::strcmp(argv[i], "--levels") == 0) levels = numbers(argv[++i]);
    else if (i + 1 < argc && std::strcmp(argv[i], "--pieces") == 0) pieces = numbers(argv[++i]);
    else if (i + 1 < argc && std::strcmp(argv[i], "--threads") == 0) threads = numbers(argv[++i]);
    else files.emplace_back(argv[i]);
  }
  const auto positive = [](const std::vector<long>& v) {
    return !v.empty() && std::all_of(v.begin(), v.end(), [](long x) { return x > 0; });
  };
  const bool levels_ok = !levels.empty() && std::all_of(levels.begin(), levels.end(), [](long l) { return l >= 0 && l <= 12; });
  if (files.empty() || runs < 1 || !levels_ok || !positive(pieces) || !positive(threads)) {
    std::fprintf(stderr, "usage: png_pieces [--runs R] [--levels L,...] [--pieces BYTES,...] [--threads T,...] FILE.png...\n");
    return 64;
  }
  kmq::bench::reused_large_blocks();
  std::printf("# PNG encoding: one deflate stream against pieces on threads\n\n%s Fastest of %d alternating runs; "
              "bench/png_pieces.cpp; deflate of the raw rows alone (the encode stage less packing the rows and "
              "writing the chunks). \"one stream\" is one libdeflate_zlib_compress call: the encoder's bytes before "
              "pieces. MiB: what the first run of each touched (minor page faults x page size, every large block a "
              "fresh mmap in it; %s).\n\n",
              kmq::bench::machine_description().c_str(), runs, kmq::bench::huge_pages_note().c_str());
  std::printf("| file | depth | raw bytes | level | pieces of | pieces | threads | bytes | vs one stream | ms | "
              "one stream ms | speed-up | MiB touched: pieces / one stream |\n"
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const std::string& path : files) {
    raw_rows raw;
    if (!read_rows(path.c_str(), raw)) {
      std::fprintf(stderr, "%s: not a PNG libpng reads\n", path.c_str());
      return 65;
    }
    const std::string name = path.substr(path.find_last_of('/') + 1);
    for (long level : levels) {
      const auto time = [&](std::size_t piece, unsigned t, std::size_t& size, double& mib, bool first) {
        const auto start = clock_type::now();
        mib = kmq::bench::mib_touched_fresh_if(first, [&] {
          size = kmq::io::detail::zlib_compress_pieces(raw.bytes.data(), raw.bytes.size(), static_cast<int>(level),
                                                       piece, t)
                     .size();
        });
        return std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
      };
      const std::size_t whole = std::numeric_limits<std::size_t>::max();
      std::size_t one_size = 0;
      double one_ms = 1e300, one_mib = 0, mib = 0;
      std::vector<double> best(pieces.size() * threads.size(), 1e300), mibs(best.size());
      std::vector<std::size_t> sizes(best.size());
      for (int r = 0; r < runs; ++r) {
        one_ms = std::min(one_ms, time(whole, 1, one_size, mib, r == 0));
        if (r == 0) one_mib = mib;
        for (std::size_t p = 0; p < pieces.size(); ++p)
          for (std::size_t t = 0; t < threads.size(); ++t) {
            const std::size_t i = p * threads.size() + t;
            const double ms =
                time(static_cast<std::size_t>(pieces[p]), static_cast<unsigned>(threads[t]), sizes[i], mib, r == 0);
            best[i] = std::min(best[i], ms);
            if (r == 0) mibs[i] = mib;
          }
      }
      for (std::size_t p = 0; p < pieces.size(); ++p)
        for (std::size_t t = 0; t < threads.size(); ++t) {
          const std::size_t i = p * threads.size() + t;
          const auto piece = static_cast<std::size_t>(pieces[p]);
          std::printf("| %s | %d | %zu | %ld | %zu KiB | %zu | %ld | %zu | %+.3f %% | %.1f | %.1f | %.2fx | %.1f / %.1f |\n",
                      name.c_str(), raw.bit_depth, raw.bytes.size(), level, piece / 1024,
                      (raw.bytes.size() + piece - 1) / piece, threads[t], sizes[i],
                      100.0 * (static_cast<double>(sizes[i]) / static_cast<double>(one_size) - 1.0), best[i], one_ms,
                      one_ms / best[i], mibs[i], one_mib);
        }
      std::fflush(stdout);
    }
  }
  return 0;
}
