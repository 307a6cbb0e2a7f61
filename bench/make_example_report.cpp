// Renders the example report committed under results/report/: one image run
// through the real pipeline (CPU backend) with the elbow curve, written as the
// HTML report, the palette files and the false-colour label map.
//
//   make_example_report INPUT OUT_DIR [K]      (K: 16 by default)
//
// writes OUT_DIR/<stem>-<K>.html, .gpl, .json, -swatches.png, -labels.png.
#include <cstdio>
#include <exception>
#include <fstream>
#include <string>

#include "kmq/cpu_backend.hpp"
#include "kmq/error.hpp"
#include "kmq/pipeline/palette_files.hpp"
#include "kmq/pipeline/report_html.hpp"
#include "kmq/pipeline/run_job.hpp"

#ifndef KMQ_VERSION
#define KMQ_VERSION "dev"
#endif

namespace {

template <typename Bytes>
void write(const std::string& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw kmq::error(kmq::error_kind::output_failed, path, "cannot write");
  std::printf("%s: %zu bytes\n", path.c_str(), bytes.size());
}

std::string stem_of(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  const std::size_t dot = name.find_last_of('.');
  return dot == std::string::npos ? name : name.substr(0, dot);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    std::fprintf(stderr, "usage: %s INPUT OUT_DIR [K]\n", argv[0]);
    return 64;
  }
  try {
    kmq::image_job job;
    job.input = argv[1];
    job.keep_decoded = true;
    job.elbow = true;
    job.quantize.kmeans.k = argc == 4 ? std::stoi(argv[3]) : 16;
    job.quantize.kmeans.restarts = 0;  // auto for each K, as kmq compress
    const kmq::job_outcome outcome = kmq::run_job(job, *kmq::make_cpu_backend(0));

    kmq::report_context context;
    for (int i = 0; i < argc; ++i) context.command_line += (i ? " " : "") + std::string(argv[i]);
    context.version = KMQ_VERSION;
    const std::string base = std::string(argv[2]) + "/" + stem_of(job.input) + "-" + std::to_string(job.quantize.kmeans.k);
    const kmq::quantize_result& q = outcome.quantized;
    write(base + ".html", kmq::render_report_html(job, outcome, context));
    write(base + ".gpl", kmq::palette_gpl(q.palette, q.usage, stem_of(job.input)));
    write(base + ".json", kmq::palette_json(q.palette, q.usage));
    write(base + "-swatches.png", kmq::palette_swatch_png(q.palette, q.usage));
    write(base + "-labels.png", kmq::labels_false_colour_png(outcome.labels, q.palette.size()));
  } catch (const kmq::error& e) {
    std::fprintf(stderr, "make_example_report: %s\n", e.describe().c_str());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_example_report: %s\n", e.what());
    return 1;
  }
  return 0;
}
