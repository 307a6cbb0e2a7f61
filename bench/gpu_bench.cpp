// kmq_gpu_bench: the CPU backend against the CUDA backend, stage by stage, on
// raw RGBA8 images. Each stage runs the same calls on both and checks that the
// results are identical, so a timing never hides a wrong answer.
//
//   kmq_gpu_bench [--json OUT.json] [--threads N] [--ks 16,64,256] [--seed S]
//                 [--max-iter N] IMAGE.rgba:WIDTHxHEIGHT...
//
// Stages: histogram (every pixel); seeding (k-means++ on the distinct colours);
// one assign+reduce step over ALL pixels (no dedupe: every pixel uploaded with
// weight 1); the clustering (one seeding) to convergence on the distinct
// colours; "whole": what the kmq command runs between decode and encode,
// quantize() and remap() with the command's defaults (restarts auto, as
// automatic_restarts() decides for the image; refinement on), label map included, on both backends.
// Both sides are timed the same way, the best of 3 runs: GPU stage times by
// CUDA events around the (synchronous) backend calls, so they include the
// transfers each call makes; CPU times and every "whole" by steady_clock.
// The CPU backend uses --threads (default: every core); the table's header
// says how many. "pcie_up"/"pcie_down" = the image up and one word per pixel
// back, the part that no kernel can shorten ("pcie_up_pin": the upload with
// the image pinned for it, registration included).
// Memory, of "whole": one more, untimed run on each side, on a backend made
// for it (so its per-point state counts): the host memory it touched (minor
// page faults x page size, every large block a fresh mmap in it, as in a
// one-image process) and the device memory the new CUDA backend holds after
// it (cudaMemGetInfo's used before the backend was made and after the run:
// the device's, so another process's allocations would count too).
// Exit status 1 when any stage's results differ.
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <sstream>
#include <tuple>
#include <string>
#include <utility>
#include <vector>

#include "kmq/backend_select.hpp"
#include "kmq/color_histogram.hpp"
#include "kmq/cuda_backend.hpp"
#include "kmq/kmeans.hpp"
#include "kmq/quantize.hpp"
#include "kmq/remap.hpp"
#include "memory_touched.hpp"
#include "raw_rgba.hpp"

namespace {

struct image {
  std::string path;
  std::uint32_t width = 0, height = 0;
  std::vector<kmq::packed_rgba> pixels;
};

struct row {
  std::string image;
  std::size_t pixels = 0, distinct = 0;
  int k = 0;
  std::string stage;
  double cpu_ms = 0, gpu_ms = 0, gpu_wall_ms = 0;
  bool match = false;
  int cpu_iterations = -1, gpu_iterations = -1;
  int restarts = 1;
  double cpu_mib = -1, gpu_host_mib = -1, gpu_device_mib = -1;  // "whole" only: memory_touched.hpp, cudaMemGetInfo
};

void cuda_check(cudaError_t code, const char* what) {
  if (code != cudaSuccess) {
    std::fprintf(stderr, "kmq_gpu_bench: %s: %s\n", what, cudaGetErrorString(code));
    std::exit(70);
  }
}

// Device memory in use (all processes'), MiB.
double device_used_mib() {
  std::size_t free_bytes = 0, total_bytes = 0;
  cuda_check(cudaMemGetInfo(&free_bytes, &total_bytes), "cudaMemGetInfo");
  return static_cast<double>(total_bytes - free_bytes) / (1024.0 * 1024.0);
}

double time_cpu(const std::function<void()>& fn) {
  const auto start = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

// The best of a few runs, as the GPU's times are taken (the first also warms
// the caches and the thread pool).
double time_cpu_best(const std::function<void()>& fn, int runs = 3) {
  double best = 1e300;
  for (int run = 0; run < runs; ++run) best = std::min(best, time_cpu(fn));
  return best;
}

// Milliseconds by CUDA events (device timeline) and by the wall clock, the
// best of a few runs: kernels load lazily on their first launch, and a single
// run would time that load rather than the work.
// The events go on the legacy default stream, the CUDA backend's work on its
// own non-blocking stream, which does not order itself with them. The span
// still holds all of it: start is recorded (on an idle stream) before fn
// queues anything, and every backend call returns only once its stream has
// drained, so stop, recorded after fn returns, comes after the last of it.
// (The pcie_* stages time this file's own copies, on the legacy stream.)
std::pair<double, double> time_gpu(const std::function<void()>& fn, int runs = 3) {
  cudaEvent_t start = nullptr, stop = nullptr;
  cuda_check(cudaEventCreate(&start), "cudaEventCreate");
  cuda_check(cudaEventCreate(&stop), "cudaEventCreate");
  double best_ms = 1e300, best_wall = 1e300;
  for (int run = 0; run < runs; ++run) {
    cuda_check(cudaEventRecord(start), "cudaEventRecord");
    const double wall = time_cpu(fn);
    cuda_check(cudaEventRecord(stop), "cudaEventRecord");
    cuda_check(cudaEventSynchronize(stop), "cudaEventSynchronize");
    float ms = 0;
    cuda_check(cudaEventElapsedTime(&ms, start, stop), "cudaEventElapsedTime");
    best_ms = std::min(best_ms, static_cast<double>(ms));
    best_wall = std::min(best_wall, wall);
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return {best_ms, best_wall};
}

image read_image(const std::string& spec) {
  image im;
  const auto colon = spec.rfind(':');
  const auto x = spec.rfind('x');
  if (colon == std::string::npos || x == std::string::npos || x < colon) {
    std::fprintf(stderr, "kmq_gpu_bench: expected FILE:WIDTHxHEIGHT, got %s\n", spec.c_str());
    std::exit(64);
  }
  im.path = spec.substr(0, colon);
  im.width = static_cast<std::uint32_t>(std::strtoul(spec.substr(colon + 1, x - colon - 1).c_str(), nullptr, 10));
  im.height = static_cast<std::uint32_t>(std::strtoul(spec.substr(x + 1).c_str(), nullptr, 10));
  if (im.width == 0 || im.height == 0) {
    std::fprintf(stderr, "kmq_gpu_bench: %s: width and height must be positive\n", spec.c_str());
    std::exit(66);
  }
  try {
    im.pixels = kmq::bench::read_raw_rgba(im.path, std::size_t{im.width} * im.height);
  } catch (const kmq::error& e) {
    std::fprintf(stderr, "kmq_gpu_bench: %s\n", e.what());
    std::exit(66);
  }
  kmq::collapse_transparent(im.pixels.data(), im.pixels.size());
  return im;
}

bool same_stats(const kmq::step_stats& a, const kmq::step_stats& b) {
  return a.count == b.count && a.sum == b.sum && a.sq_norm == b.sq_norm && a.changed == b.changed &&
         a.farthest == b.farthest && std::memcmp(&a.farthest_distance, &b.farthest_distance, sizeof(float)) == 0;
}

bool same_floats(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

// The JSON fields of a row's memory (", \"cpu_mib\": ..."), "" where it has none.
std::string memory_fields(const row& r) {
  if (r.cpu_mib < 0) return "";
  char fields[128];
  std::snprintf(fields, sizeof fields, ", \"cpu_mib\": %.2f, \"gpu_host_mib\": %.2f, \"gpu_device_mib\": %.2f", r.cpu_mib,
                r.gpu_host_mib, r.gpu_device_mib);
  return fields;
}

std::vector<int> parse_ks(const std::string& text) {
  std::vector<int> ks;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) ks.push_back(std::atoi(item.c_str()));
  return ks;
}

}  // namespace

int main(int argc, char** argv) {
  std::string json_path;
  int threads = 0, max_iter = 100;
  std::uint64_t seed = 1;
  std::vector<int> ks = {16, 64, 256};
  std::vector<std::string> specs;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--json" && has_value) json_path = argv[++i];
    else if (arg == "--threads" && has_value) threads = std::atoi(argv[++i]);
    else if (arg == "--ks" && has_value) ks = parse_ks(argv[++i]);
    else if (arg == "--seed" && has_value) seed = std::strtoull(argv[++i], nullptr, 10);
    else if (arg == "--max-iter" && has_value) max_iter = std::atoi(argv[++i]);
    else if (!arg.empty() && arg[0] != '-') specs.push_back(arg);
    else {
      std::fprintf(stderr, "usage: kmq_gpu_bench [--json OUT] [--threads N] [--ks 16,64,256] [--seed S] "
                           "[--max-iter N] FILE.rgba:WxH...\n");
      return 64;
    }
  }
  const kmq::cuda_status cuda = kmq::cuda_probe();
  if (!cuda.available) {
    std::fprintf(stderr, "kmq_gpu_bench: CUDA backend unavailable: %s\n", cuda.reason.c_str());
    return 69;
  }

  std::vector<row> rows;
  bool all_match = true;
  try {
    const auto cpu = kmq::make_cpu_backend(threads);
    const auto gpu = kmq::make_cuda_backend(threads);  // its host-side steps on as many threads as the CPU's
    kmq::bench::reused_large_blocks();  // the timed runs reuse memory (glibc's usual, made fixed)
    std::fprintf(stderr, "kmq_gpu_bench: cpu = %s, gpu = %s\n", cpu->device().c_str(), gpu->device().c_str());
    for (const std::string& spec : specs) {
      const image im = read_image(spec);
      const std::size_t n = im.pixels.size();
      auto add = [&](row r) {
        r.image = im.path;
        r.pixels = n;
        all_match = all_match && r.match;
        std::fprintf(stderr, "  %-28s k=%-3d %-10s cpu %9.2f ms  gpu %8.2f ms  %s\n", im.path.c_str(), r.k,
                     r.stage.c_str(), r.cpu_ms, r.gpu_ms, r.match ? "same" : "DIFFERENT");
        rows.push_back(r);
      };
      gpu->histogram(im.pixels.data(), std::min<std::size_t>(n, 4096));  // warm-up: allocator, module load

      // The floor under the histogram's time: the image up, and a map (one
      // word per pixel) back, over PCIe from and to ordinary (pageable)
      // memory; and the upload again with the image pinned for the copy.
      {
        std::vector<std::uint32_t> back(n, 1u);
        void* device = nullptr;
        cuda_check(cudaMalloc(&device, n * sizeof(std::uint32_t)), "cudaMalloc");
        const std::size_t bytes = n * sizeof(std::uint32_t);
        row up, pinned, down;
        up.stage = "pcie_up";
        std::tie(up.gpu_ms, up.gpu_wall_ms) = time_gpu([&] {
          cuda_check(cudaMemcpy(device, im.pixels.data(), bytes, cudaMemcpyHostToDevice), "H2D");
        });
        pinned.stage = "pcie_up_pin";
        std::tie(pinned.gpu_ms, pinned.gpu_wall_ms) = time_gpu([&] {
          void* host = const_cast<kmq::packed_rgba*>(im.pixels.data());
          cuda_check(cudaHostRegister(host, bytes, cudaHostRegisterDefault), "cudaHostRegister");
          cuda_check(cudaMemcpy(device, host, bytes, cudaMemcpyHostToDevice), "H2D");
          cuda_check(cudaHostUnregister(host), "cudaHostUnregister");
        });
        down.stage = "pcie_down";
        std::tie(down.gpu_ms, down.gpu_wall_ms) = time_gpu([&] {
          cuda_check(cudaMemcpy(back.data(), device, bytes, cudaMemcpyDeviceToHost), "D2H");
        });
        cudaFree(device);
        for (row* r : {&up, &pinned, &down}) {
          r->match = true;
          add(*r);
        }
      }

      // "histogram" is what quantize() runs: on the GPU the pixel map stays
      // on the device; "histogram_map" brings it back as well.
      row h;
      h.stage = "histogram";
      kmq::color_histogram hc, hg, hk;
      h.cpu_ms = time_cpu_best([&] { hc = cpu->histogram(im.pixels.data(), n); });
      std::tie(h.gpu_ms, h.gpu_wall_ms) = time_gpu([&] {
        if (!gpu->histogram_keeping_map(im.pixels.data(), n, hk)) std::exit(70);
      });
      h.match = hc.colors == hk.colors && hc.counts == hk.counts && hk.pixel_to_color.empty();
      h.distinct = hc.colors.size();
      add(h);
      row hm = h;
      hm.stage = "histogram_map";
      std::tie(hm.gpu_ms, hm.gpu_wall_ms) = time_gpu([&] { hg = gpu->histogram(im.pixels.data(), n); });
      hm.match = hc.colors == hg.colors && hc.counts == hg.counts && hc.pixel_to_color == hg.pixel_to_color;
      add(hm);

      // Seeding and whole clustering on the distinct colours.
      std::vector<std::vector<kmq::packed_rgba>> centres(ks.size());
      cpu->upload(hc.colors.data(), hc.counts.data(), hc.colors.size());
      gpu->upload(hc.colors.data(), hc.counts.data(), hc.colors.size());
      for (std::size_t q = 0; q < ks.size(); ++q) {
        const int k = ks[q];
        if (static_cast<std::size_t>(k) > hc.colors.size()) continue;
        row s;
        s.stage = "seeding";
        s.k = k;
        s.distinct = hc.colors.size();
        std::vector<kmq::packed_rgba> cg;
        s.cpu_ms = time_cpu_best([&] { centres[q] = kmq::seed_centres(*cpu, hc.colors, hc.counts, k, kmq::init_method::kmeanspp, seed); });
        std::tie(s.gpu_ms, s.gpu_wall_ms) = time_gpu([&] { cg = kmq::seed_centres(*gpu, hc.colors, hc.counts, k, kmq::init_method::kmeanspp, seed); });
        s.match = centres[q] == cg;
        add(s);

        row c;
        c.stage = "clustering";
        c.k = k;
        c.distinct = hc.colors.size();
        kmq::kmeans_params params;
        params.k = k;
        params.seed = seed;
        params.max_iter = max_iter;
        kmq::kmeans_result rc, rg;
        c.cpu_ms = time_cpu_best([&] { rc = kmq::run_kmeans(*cpu, hc.colors, hc.counts, params); });
        std::tie(c.gpu_ms, c.gpu_wall_ms) = time_gpu([&] { rg = kmq::run_kmeans(*gpu, hc.colors, hc.counts, params); });
        c.match = same_floats(rc.centroids, rg.centroids) && rc.iterations == rg.iterations &&
                  rc.final_wcss() == rg.final_wcss() && rc.passes.size() == rg.passes.size();
        c.cpu_iterations = rc.iterations;
        c.gpu_iterations = rg.iterations;
        add(c);
      }

      // What the command runs between decode and encode, with its defaults,
      // on both backends and timed alike (wall clock, best of 3).
      for (int k : ks) {
        if (static_cast<std::size_t>(k) > hc.colors.size()) continue;
        kmq::quantize_options options;
        options.kmeans.k = k;
        options.kmeans.seed = seed;
        options.kmeans.max_iter = max_iter;
        options.kmeans.restarts = 0;  // auto, as the command
        const kmq::image_view view = kmq::view_of(im.pixels.data(), im.width, im.height);
        kmq::quantize_result qc, qg;
        kmq::label_map lc, lg;
        row w;
        w.stage = "whole";
        w.k = k;
        w.distinct = hc.colors.size();
        w.cpu_ms = time_cpu_best([&] {
          qc = kmq::quantize(view, options, *cpu);
          lc = kmq::remap(view, qc, kmq::remap_options{}, *cpu);
        });
        w.gpu_ms = w.gpu_wall_ms = time_cpu_best([&] {
          qg = kmq::quantize(view, options, *gpu);
          lg = kmq::remap(view, qg, kmq::remap_options{}, *gpu);
        });
        w.cpu_mib = kmq::bench::mib_touched_fresh([&] {
          const auto fresh = kmq::make_cpu_backend(threads);
          const kmq::quantize_result q = kmq::quantize(view, options, *fresh);
          const kmq::label_map l = kmq::remap(view, q, kmq::remap_options{}, *fresh);
        });
        const double device_before = device_used_mib();
        w.gpu_host_mib = kmq::bench::mib_touched_fresh([&] {
          const auto fresh = kmq::make_cuda_backend(threads);
          const kmq::quantize_result q = kmq::quantize(view, options, *fresh);
          const kmq::label_map l = kmq::remap(view, q, kmq::remap_options{}, *fresh);
          w.gpu_device_mib = device_used_mib() - device_before;
        });
        w.match = qc.palette == qg.palette && lc.indices == lg.indices;
        w.cpu_iterations = qc.iterations;
        w.gpu_iterations = qg.iterations;
        w.restarts = qc.restarts;
        add(w);
      }

      // One step over every pixel, weight 1 each: the --no-dedupe workload.
      const kmq::pixel_points expanded = kmq::expand_histogram(hc);
      const std::vector<std::uint32_t> ones(expanded.points.size(), 1u);
      cpu->upload(expanded.points.data(), ones.data(), ones.size());
      gpu->upload(expanded.points.data(), ones.data(), ones.size());
      for (std::size_t q = 0; q < ks.size(); ++q) {
        if (centres[q].empty()) continue;
        const int k = ks[q];
        std::vector<float> centroids;
        for (kmq::packed_rgba c : centres[q]) {
          for (int ch = 0; ch < kmq::channels; ++ch) centroids.push_back(static_cast<float>(kmq::channel_of(c, ch)));
        }
        row s;
        s.stage = "step_all";
        s.k = k;
        s.distinct = hc.colors.size();
        kmq::step_stats sc, sg;
        // A step moves the labels on, so only the first of the timed runs is
        // compared (it starts, as the CPU's does, from "no label").
        bool first_cpu_run = true, first_run = true;
        s.cpu_ms = time_cpu_best([&] {
          kmq::step_stats run = cpu->step(centroids.data(), k);
          if (first_cpu_run) sc = std::move(run);
          first_cpu_run = false;
        });
        std::tie(s.gpu_ms, s.gpu_wall_ms) = time_gpu([&] {
          kmq::step_stats run = gpu->step(centroids.data(), k);
          if (first_run) sg = std::move(run);
          first_run = false;
        });
        cpu->upload(expanded.points.data(), ones.data(), ones.size());
        gpu->upload(expanded.points.data(), ones.data(), ones.size());
        s.match = same_stats(sc, sg);
        add(s);
      }
    }

    std::printf("\ncpu: %s; gpu: %s; every time the best of 3 runs; \"whole\" = quantize + remap with the "
                "command's defaults (restarts column), the others one seeding\n",
                cpu->device().c_str(), gpu->device().c_str());
    std::printf("memory of \"whole\", MiB (one more run on new backends): host memory it touched on each side, "
                "and device memory the new CUDA backend holds after it (%s)\n", kmq::bench::huge_pages_note().c_str());
    std::printf("%-28s %4s %-10s %11s %11s %8s %8s %4s %22s\n", "image", "k", "stage", "cpu ms", "gpu ms", "speedup",
                "restarts", "same", "MiB cpu / gpu / device");
    for (const row& r : rows) {
      char memory[64] = "";
      if (r.cpu_mib >= 0) {
        std::snprintf(memory, sizeof memory, "%.1f / %.1f / %.1f", r.cpu_mib, r.gpu_host_mib, r.gpu_device_mib);
      }
      std::printf("%-28s %4d %-10s %11.2f %11.2f %7.1fx %8d %4s %22s\n", r.image.substr(r.image.rfind('/') + 1).c_str(),
                  r.k, r.stage.c_str(), r.cpu_ms, r.gpu_ms, r.gpu_ms > 0 ? r.cpu_ms / r.gpu_ms : 0.0, r.restarts,
                  r.match ? "yes" : "NO", memory);
    }

    if (!json_path.empty()) {
      std::FILE* f = std::fopen(json_path.c_str(), "w");
      if (f == nullptr) {
        std::fprintf(stderr, "kmq_gpu_bench: cannot write %s\n", json_path.c_str());
        return 73;
      }
      std::fprintf(f, "{\n  \"gpu\": \"%s\",\n  \"cpu\": \"%s\",\n  \"timing\": \"best of 3 on both sides\",\n  \"seed\": %llu,\n  \"all_match\": %s,\n  \"rows\": [\n",
                   gpu->device().c_str(), cpu->device().c_str(), static_cast<unsigned long long>(seed),
                   all_match ? "true" : "false");
      for (std::size_t i = 0; i < rows.size(); ++i) {
        const row& r = rows[i];
        std::fprintf(f,
                     "    {\"image\": \"%s\", \"pixels\": %zu, \"distinct\": %zu, \"k\": %d, \"stage\": \"%s\", "
                     "\"cpu_ms\": %.4f, \"gpu_ms\": %.4f, \"gpu_wall_ms\": %.4f, \"match\": %s, "
                     "\"cpu_iterations\": %d, \"gpu_iterations\": %d, \"restarts\": %d%s}%s\n",
                     r.image.c_str(), r.pixels, r.distinct, r.k, r.stage.c_str(), r.cpu_ms, r.gpu_ms, r.gpu_wall_ms,
                     r.match ? "true" : "false", r.cpu_iterations, r.gpu_iterations, r.restarts,
                     memory_fields(r).c_str(), i + 1 < rows.size() ? "," : "");
      }
      std::fprintf(f, "  ]\n}\n");
      std::fclose(f);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kmq_gpu_bench: %s\n", e.what());
    return 70;
  }
  if (kmq::cuda_graph_capture_refused()) std::fprintf(stderr, "kmq_gpu_bench: CUDA graph capture was refused: the greedy seeding used plain launches (same results, slower)\n");
  return all_match ? 0 : 1;
}
