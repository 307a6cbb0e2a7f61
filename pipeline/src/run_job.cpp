#include "kmq/pipeline/run_job.hpp"

#include <algorithm>
#include <exception>
#include <memory>
#include <new>
#include <system_error>
#include <thread>

#include "kmq/cpu_backend.hpp"
#include "kmq/error.hpp"
#include "kmq/io/image_decoder.hpp"
#include "kmq/io/output_file.hpp"
#include "kmq/io/png_encoder.hpp"
#include "kmq/pipeline/palette_search.hpp"
#include "kmq/stopwatch.hpp"

namespace kmq {
namespace {

io::decoded_image decode(const image_job& job) {
  if (job.input_decoded != nullptr) return *job.input_decoded;
  const io::image_decoder decoder(job.limits);
  if (job.input_bytes) return decoder.decode_bytes(*job.input_bytes, job.input);
  return decoder.decode_file(job.input);
}

// Options are checked before the image is read: a mistake costs nothing.
void validate_job(const image_job& job) {
  quantize_options options = job.quantize;
  if (job.quality) options.kmeans.k = 1;  // K is the search's
  options = resolve_automatic(options);
  try {
    validate(options);
  } catch (const error& e) {
    throw error(e.kind(), job.input, e.what());
  }
}

struct clustering {
  quantize_result palette;
  label_map labels;
  double remap_seconds = 0.0;
  std::vector<int> ks_tried;
  std::vector<elbow_point> elbow;
};

// The colours counted once; then the elbow's palettes, the quality search's,
// and last the one written (so the backend holds its labels for remap).
clustering quantize_and_remap(const image_view& image, const image_job& job, backend& engine, observer* watcher) {
  clustering out;
  const color_set colors = analyse_colors(image, job.quantize.dedupe, engine, watcher, job.quantize.space);
  if (job.elbow) out.elbow = elbow_curve(colors, job.quantize, engine, watcher);
  if (job.quality) {
    quality_search_result found = search_quality(colors, *job.quality, job.quantize, engine, watcher);
    out.ks_tried = found.tried;
    quantize_options chosen = job.quantize;
    chosen.kmeans.k = found.k;
    out.palette = found.palette ? std::move(*found.palette) : quantize(colors, chosen, engine, watcher);
  } else {
    out.palette = quantize(colors, job.quantize, engine, watcher);
  }
  const detail::stopwatch remapping;
  out.labels = remap(image, out.palette, job.remap, engine);
  if (job.remap.dither != dither_method::none) {
    // Dithering moves pixels to other entries: the counts the palette files
    // and the report show are those of the PNG (the entries keep their order).
    std::fill(out.palette.usage.begin(), out.palette.usage.end(), 0);
    for (const std::uint8_t entry : out.labels.indices) ++out.palette.usage[entry];
  }
  out.remap_seconds = remapping.seconds();
  out.palette.map.release();
  return out;
}

void describe_backend(const backend& engine, job_outcome& outcome) {
  outcome.backend = engine.name();
  outcome.device = engine.device();
  outcome.threads = engine.threads();
}

// A GPU that runs out of memory hands the image to the CPU, which gives the
// same bytes, when the job allows it; the CPU itself has nowhere to go.
clustering cluster(const image_view& image, const image_job& job, backend& engine, observer* watcher,
                   job_outcome& outcome) {
  describe_backend(engine, outcome);
  try {
    return quantize_and_remap(image, job, engine, watcher);
  } catch (const error& e) {
    if (e.kind() != error_kind::out_of_memory || job.on_out_of_memory != memory_fallback::cpu ||
        engine.name() == "cpu") {
      throw;
    }
    const std::string notice = std::string(e.what()) + "; using the CPU";
    outcome.notices.push_back(notice);
    if (watcher != nullptr) watcher->on_notice(notice);
  }
  const std::unique_ptr<backend> cpu = make_cpu_backend(job.fallback_threads);
  describe_backend(*cpu, outcome);
  return quantize_and_remap(image, job, *cpu, watcher);
}

}  // namespace

job_outcome run_job(const image_job& job, backend& engine, observer* watcher) {
  detail::stopwatch total;
  job_outcome outcome;
  outcome.input = job.input;
  // A path mistake costs nothing: it is found before the image is read.
  if (!job.output.empty()) io::check_output_path(job.input_bytes ? std::string() : job.input, job.output, job.force);

  validate_job(job);
  report_stage(watcher, job_stage::decode);
  detail::stopwatch decoding;
  io::decoded_image image = decode(job);
  outcome.seconds.decode = decoding.seconds();
  outcome.width = image.width;
  outcome.height = image.height;
  outcome.has_alpha = image.has_alpha;
  outcome.input_bytes = image.file_bytes;
  collapse_transparent(image.pixels.data(), image.pixels.size());
  if (image.more_images > 0) {
    // As a viewer that shows one image shows it.
    const std::string notice = "holds " + std::to_string(image.more_images) + " more " + image.more_images_are +
                               (image.more_images == 1 ? "" : "s") + ": only the first is compressed";
    outcome.notices.push_back(notice);
    if (watcher != nullptr) watcher->on_notice(notice);
  }

  clustering result;
  try {
    result = cluster(image.view(), job, engine, watcher, outcome);
  } catch (const error& e) {
    // The clustering knows no file names; the user needs one.
    if (!e.path().empty()) throw;
    throw error(e.kind(), job.input, e.what());
  }
  if (job.quantize.space != result.palette.space) {
    const std::string notice = outcome.has_alpha || result.palette.premultiplied
                                   ? "--space oklab is for opaque images; this one has alpha: clustered in rgb"
                                   : "--space oklab would merge colours of an image a palette can hold whole: kept in rgb";
    outcome.notices.push_back(notice);
    if (watcher != nullptr) watcher->on_notice(notice);
  }
  outcome.k = result.palette.k;
  outcome.ks_tried = std::move(result.ks_tried);
  outcome.elbow = std::move(result.elbow);
  outcome.quantized = std::move(result.palette);
  const quantize_result& q = outcome.quantized;
  outcome.seconds.histogram = q.histogram_seconds;
  outcome.seconds.seed = q.seed_seconds;
  outcome.seconds.iterate = q.iterate_seconds;
  outcome.seconds.refine = q.refine_seconds;
  outcome.seconds.map = q.palette_seconds + result.remap_seconds;

  // The PNG needs only the palette and the labels, as the metrics do, so the
  // encoder runs beside the metrics, each on the job's CPU threads (the cores
  // are shared between them, up to twice over). Their seconds overlap.
  io::png_metadata metadata;
  metadata.icc_profile = std::move(image.icc_profile);  // see the README, "Colour profiles"
  metadata.colour_chunks = image.colour_chunks;
  std::exception_ptr encode_failure;
  auto encode_png = [&] {
    try {
      detail::stopwatch encoding;
      outcome.png = io::encode_palette_png(q.palette, result.labels.indices, image.width, image.height,
                                           job.png_level, metadata,
                                           static_cast<unsigned>(std::max(0, job.fallback_threads)));
      outcome.seconds.encode = encoding.seconds();
    } catch (...) {
      encode_failure = std::current_exception();
    }
  };
  if (job.measure) {
    std::thread encoder;
    try {
      encoder = std::thread(encode_png);
    } catch (const std::system_error&) {
      encode_png();  // no thread to be had: one after the other
    }
    struct joiner {
      std::thread& thread;
      ~joiner() {
        if (thread.joinable()) thread.join();
      }
    } const join_encoder{encoder};
    report_stage(watcher, job_stage::metrics);
    detail::stopwatch measuring;
    outcome.metrics = measure_quantization(image.pixels.data(), result.labels.indices.data(), q.palette, image.width,
                                           image.height, job.fallback_threads, job.quantize.space == color_space::oklab);
    outcome.measured = true;
    outcome.seconds.metrics = measuring.seconds();
    report_stage(watcher, job_stage::encode);
  } else {
    report_stage(watcher, job_stage::encode);
    encode_png();
  }
  if (encode_failure) std::rethrow_exception(encode_failure);

  if (!job.output.empty()) {
    report_stage(watcher, job_stage::write);
    detail::stopwatch writing;
    // Marked with its input, so that a later run over the same directory
    // does not take kmq's own output for an input (see job planning).
    io::write_file_atomically(job.output, outcome.png, job.force, job.input);
    outcome.output = job.output;
    outcome.seconds.write = writing.seconds();
  }
  if (job.keep_decoded) {
    outcome.decoded = std::move(image.pixels);
    outcome.labels = std::move(result.labels);
  }
  outcome.seconds.total = total.seconds();
  return outcome;
}

}  // namespace kmq
