// kmq_raw: quantize a raw RGBA8 file (no decoder, no OpenCV) on a chosen
// backend and write the palette and the label map as raw bytes, so CPU and GPU
// runs on the same photo can be compared with cmp. Prints one JSON line.
//
//   kmq_raw INPUT.rgba WIDTH HEIGHT [--backend cpu|cuda|auto] [-k K] [--seed S]
//           [--max-iter N] [--threads N] [--no-dedupe]
//           [--palette OUT.pal] [--labels OUT.idx]
//
// OUT.pal holds the palette entries' R,G,B,A bytes (4 per entry, at most K
// entries); OUT.idx one byte per pixel, row-major.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "kmq/backend_select.hpp"
#include "kmq/cuda_backend.hpp"
#include "kmq/error.hpp"
#include "kmq/quantize.hpp"
#include "kmq/remap.hpp"
#include "raw_rgba.hpp"

namespace {

struct options {
  std::string input, palette_path, labels_path;
  std::uint32_t width = 0, height = 0;
  std::string backend = "cpu";
  int k = 16;
  std::uint64_t seed = 0;
  int max_iter = 100;
  int threads = 0;
  bool dedupe = true;
};

[[noreturn]] void usage(const char* message) {
  std::fprintf(stderr,
               "kmq_raw: %s\nusage: kmq_raw INPUT.rgba WIDTH HEIGHT [--backend cpu|cuda|auto] [-k K] [--seed S]\n"
               "               [--max-iter N] [--threads N] [--no-dedupe] [--palette OUT] [--labels OUT]\n",
               message);
  std::exit(64);
}

long long number(const char* text) {
  char* end = nullptr;
  const long long value = std::strtoll(text, &end, 10);
  if (end == text || *end != '\0' || value < 0) usage("expected a non-negative number");
  return value;
}

options parse(int argc, char** argv) {
  options o;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage(("missing value after " + arg).c_str());
      return argv[++i];
    };
    if (arg == "--backend") o.backend = value();
    else if (arg == "-k" || arg == "--colors") o.k = static_cast<int>(number(value()));
    else if (arg == "--seed") o.seed = static_cast<std::uint64_t>(number(value()));
    else if (arg == "--max-iter") o.max_iter = static_cast<int>(number(value()));
    else if (arg == "--threads") o.threads = static_cast<int>(number(value()));
    else if (arg == "--no-dedupe") o.dedupe = false;
    else if (arg == "--palette") o.palette_path = value();
    else if (arg == "--labels") o.labels_path = value();
    else if (!arg.empty() && arg[0] == '-') usage(("unknown option " + arg).c_str());
    else positional.push_back(arg);
  }
  if (positional.size() != 3) usage("expected INPUT WIDTH HEIGHT");
  o.input = positional[0];
  o.width = static_cast<std::uint32_t>(number(positional[1].c_str()));
  o.height = static_cast<std::uint32_t>(number(positional[2].c_str()));
  if (o.width == 0 || o.height == 0) usage("width and height must be positive");
  return o;
}

void write_bytes(const std::string& path, const void* data, std::size_t size) {
  if (path.empty()) return;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr || std::fwrite(data, 1, size, f) != size || std::fclose(f) != 0) {
    throw kmq::error(kmq::error_kind::internal, "cannot write " + path);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const options o = parse(argc, argv);
  try {
    const std::size_t count = std::size_t{o.width} * o.height;
    std::vector<kmq::packed_rgba> pixels = kmq::bench::read_raw_rgba(o.input, count);
    kmq::collapse_transparent(pixels.data(), pixels.size());

    const auto engine = kmq::make_backend(kmq::parse_backend_choice(o.backend), o.threads);
    kmq::quantize_options q;
    q.kmeans.k = o.k;
    q.kmeans.seed = o.seed;
    q.kmeans.max_iter = o.max_iter;
    q.dedupe = o.dedupe;
    const auto start = std::chrono::steady_clock::now();
    const kmq::image_view image = kmq::view_of(pixels.data(), o.width, o.height);
    const kmq::quantize_result r = kmq::quantize(image, q, *engine);
    const auto mapping = std::chrono::steady_clock::now();
    const kmq::label_map labels = kmq::remap(image, r, kmq::remap_options{}, *engine);
    const double map_seconds =
        r.palette_seconds + std::chrono::duration<double>(std::chrono::steady_clock::now() - mapping).count();
    const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    std::vector<unsigned char> palette_bytes;
    for (kmq::packed_rgba c : r.palette) {
      for (int ch = 0; ch < kmq::channels; ++ch) palette_bytes.push_back(static_cast<unsigned char>(kmq::channel_of(c, ch)));
    }
    write_bytes(o.palette_path, palette_bytes.data(), palette_bytes.size());
    write_bytes(o.labels_path, labels.indices.data(), labels.indices.size());

    std::printf(
        "{\"input\":\"%s\",\"width\":%u,\"height\":%u,\"backend\":\"%s\",\"device\":\"%s\",\"k\":%d,\"seed\":%llu,"
        "\"dedupe\":%s,\"distinct_colors\":%zu,\"palette_size\":%zu,\"iterations\":%d,\"converged\":%s,"
        "\"wcss\":%.17g,\"histogram_s\":%.6f,\"seed_s\":%.6f,\"iterate_s\":%.6f,\"map_s\":%.6f,\"total_s\":%.6f}\n",
        o.input.c_str(), o.width, o.height, engine->name().c_str(), engine->device().c_str(), o.k,
        static_cast<unsigned long long>(o.seed), o.dedupe ? "true" : "false", r.distinct_colors, r.palette.size(),
        r.iterations, r.converged ? "true" : "false", r.wcss, r.histogram_seconds, r.seed_seconds,
        r.iterate_seconds, map_seconds, total);
    if (kmq::cuda_graph_capture_refused()) std::fprintf(stderr, "kmq_raw: CUDA graph capture was refused: the greedy seeding used plain launches (same results, slower)\n");
    return 0;
  } catch (const kmq::error& e) {
    std::fprintf(stderr, "kmq_raw: %s\n", e.what());
    switch (e.kind()) {
      case kmq::error_kind::invalid_argument: return 64;
      case kmq::error_kind::backend_unavailable: return 69;
      case kmq::error_kind::out_of_memory: return 71;
      default: return 70;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kmq_raw: %s\n", e.what());
    return 70;
  }
}
