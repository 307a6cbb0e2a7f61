#include "image_work.hpp"

#include <algorithm>
#include <cmath>

#include "kmq/cpu_backend.hpp"
#include "kmq/error.hpp"
#include "kmq/io/image_header.hpp"
#include "kmq/metrics.hpp"
#include "kmq/pipeline/outcome_report.hpp"
#include "kmq/pipeline/palette_files.hpp"
#include "kmq/pipeline/palette_search.hpp"
#include "kmq/pipeline/report_html.hpp"
#include "kmq/pipeline/run_job.hpp"
#include "kmq/remap.hpp"
#include "kmq/stopwatch.hpp"
#include "kmq/usable_cores.hpp"

namespace kmq::serve {
namespace {

nlohmann::json number_or_null(double value) { return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr); }

quantize_result build_palette(const color_set& colors, const image_job& job, backend& engine, observer* watch) {
  if (!job.quality) return quantize(colors, job.quantize, engine, watch);
  quality_search_result found = search_quality(colors, *job.quality, job.quantize, engine, watch);
  if (found.palette) return std::move(*found.palette);
  quantize_options chosen = job.quantize;
  chosen.kmeans.k = found.k;
  return quantize(colors, chosen, engine, watch);
}


}  // namespace

engines::engines(backend_choice choice, int threads) : threads_(threads) {
  if (choice != backend_choice::cpu) {
    std::unique_ptr<backend> found = make_backend(choice, threads);  // throws for cuda without a device
    if (found->name() != "cpu") gpu_ = std::move(found);
  }
}

std::string engines::name() const { return gpu_ ? gpu_->name() + " (" + gpu_->device() + ")" : "cpu"; }

std::unique_ptr<backend> engines::make_cpu() const { return make_cpu_backend(threads_); }

void engines::with_gpu(const std::function<void(backend&, std::string&)>& fn) {
  const std::lock_guard<std::mutex> lock(gpu_mutex_);
  fn(*gpu_, gpu_owner_);
}

namespace {

// Whether text is well-formed UTF-8 (no overlong forms, surrogates or values
// past U+10FFFF): only then are a name's other letters kept.
bool valid_utf8(const std::string& text) {
  for (std::size_t i = 0; i < text.size();) {
    const auto byte = [&](std::size_t at) { return static_cast<unsigned char>(text[at]); };
    const unsigned c = byte(i);
    std::size_t length = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (length == 0 || i + length > text.size()) return false;
    unsigned code = length == 1 ? c : c & (0x7f >> length);
    for (std::size_t k = 1; k < length; ++k) {
      if ((byte(i + k) & 0xc0) != 0x80) return false;
      code = (code << 6) | (byte(i + k) & 0x3f);
    }
    const unsigned least[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < least[length] || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return false;
    i += length;
  }
  return true;
}

}  // namespace

std::string output_name(const std::string& upload_name, const std::string& suffix) {
  std::string base = upload_name.substr(upload_name.find_last_of("/\\") + 1);
  const auto dot = base.find_last_of('.');
  if (dot != std::string::npos && dot > 0) base.resize(dot);
  // Letters beyond ASCII stay where the name is UTF-8 ("фото ü" -> "фото_ü");
  // punctuation, spaces and control characters become "_".
  const bool keep_unicode = valid_utf8(base);
  for (char& c : base) {
    const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '_' || c == '.' || (keep_unicode && static_cast<unsigned char>(c) >= 0x80);
    if (!safe) c = '_';
  }
  if (base.empty() || base.find_first_not_of('.') == std::string::npos) base = "image";
  return base + suffix;
}

std::shared_ptr<prepared_image> prepare_upload(const std::string& id, const std::string& name,
                                               std::shared_ptr<const std::vector<std::uint8_t>> bytes,
                                               const io::decode_limits& limits, const engines& pool) {
  if (bytes->empty()) throw http_error(422, "empty", name + ": the upload is empty");
  const io::image_header header = io::sniff_image_header(bytes->data(), bytes->size());
  if (header.format == io::image_format::unknown || header.format == io::image_format::gif) {
    throw http_error(415, "not_an_image", name + ": not an image kmq reads (PNG, JPEG, WebP, TIFF, BMP)");
  }
  if (header.has_dimensions && header.pixel_count() > limits.max_pixels) {
    throw http_error(413, "too_large",
                     name + ": " + std::to_string(header.width) + "x" + std::to_string(header.height) +
                         " pixels is more than --max-pixels " + std::to_string(limits.max_pixels));
  }
  const detail::stopwatch clock;
  auto image = std::make_shared<prepared_image>();
  image->id = id;
  image->name = name;
  image->limits = limits;
  try {
    image->image = io::image_decoder(limits).decode_bytes(*bytes, name);
  } catch (const error& e) {
    if (e.kind() != error_kind::bad_input && e.kind() != error_kind::input_unreadable) throw;
    throw http_error(422, "bad_input", e.describe());
  }
  image->upload = std::move(bytes);
  collapse_transparent(image->image.pixels.data(), image->image.pixels.size());
  image->engine = pool.make_cpu();
  image->colors = analyse_colors(image->image.view(), true, *image->engine, nullptr);
  image->prepare_seconds = clock.seconds();
  return image;
}

preview_data make_preview(prepared_image& image, const request_settings& settings, engines& pool,
                          const std::function<bool()>& still_wanted) {
  const detail::stopwatch clock;
  image_job job;
  settings.apply(job);
  predicate_observer watch(still_wanted);  // a newer request wins
  quantize_result palette;
  label_map labels;
  std::string backend_name;
  double remap_seconds = 0.0;
  bool on_gpu = pool.gpu();
  if (on_gpu) {
    try {
      pool.with_gpu([&](backend& gpu, std::string& owner) {
        if (owner != image.id) {
          owner.clear();
          image.gpu_colors = analyse_colors(image.image.view(), true, gpu, &watch);
          owner = image.id;
        }
        palette = build_palette(image.gpu_colors, job, gpu, &watch);
        const detail::stopwatch mapping;
        labels = remap(image.image.view(), palette, job.remap, gpu);
        remap_seconds = mapping.seconds();
        backend_name = gpu.name();
      });
    } catch (const error& e) {
      // As run_job under --backend auto: a GPU out of memory hands the image
      // to the CPU, whose colours are already counted (same bytes).
      if (e.kind() != error_kind::out_of_memory) throw;
      pool.with_gpu([](backend&, std::string& owner) { owner.clear(); });
      on_gpu = false;
    }
  }
  if (!on_gpu) {
    palette = build_palette(image.colors, job, *image.engine, &watch);
    const detail::stopwatch mapping;
    labels = remap(image.image.view(), palette, job.remap, *image.engine);
    remap_seconds = mapping.seconds();
    backend_name = image.engine->name();
  }
  palette.map.release();
  // Undithered, the label map is every colour's nearest entry, whose exact
  // error quantize() already has; dithered, it is counted from the labels.
  const double mse = job.remap.dither == dither_method::none
                         ? palette.mse
                         : measure_error(image.image.pixels.data(), labels.indices.data(), palette.palette,
                                       image.image.pixels.size(), 1)
                             .mse;
  preview_data out;
  out.stats = {{"k", palette.k},
               {"palette_size", palette.palette.size()},
               {"width", image.image.width},
               {"height", image.image.height},
               {"distinct_colors", palette.distinct_colors},
               {"iterations", palette.iterations},
               {"mse", mse},
               {"psnr", number_or_null(psnr_from_mse(mse))},
               {"backend", backend_name},
               {"quantize_seconds", palette.seed_seconds + palette.iterate_seconds + palette.refine_seconds +
                                        palette.palette_seconds},
               {"remap_seconds", remap_seconds},
               {"seconds", clock.seconds()}};
  out.palette = std::move(palette.palette);
  out.labels = std::move(labels.indices);
  return out;
}

std::shared_ptr<const full_result> make_full_result(prepared_image& image, const request_settings& settings,
                                                    engines& pool, const std::function<bool()>& still_wanted) {
  const std::string key = settings.key();
  std::shared_ptr<const full_result> last = std::atomic_load(&image.last);
  if (last && last->key == key) return last;
  auto result = std::make_shared<full_result>();
  result->key = key;
  image_job& job = result->job;
  job.input = image.name;
  job.input_bytes = image.upload;
  job.input_decoded = &image.image;  // decoded once, when it was uploaded
  job.limits = image.limits;
  settings.apply(job);
  job.keep_decoded = true;
  job.fallback_threads = pool.threads();
  predicate_observer watch(still_wanted);  // a newer request wins
  if (pool.gpu()) {
    pool.with_gpu([&](backend& gpu, std::string& owner) {
      owner.clear();  // run_job counts this image's colours anew on it
      result->outcome = run_job(job, gpu, &watch);
    });
  } else {
    const std::unique_ptr<backend> cpu = pool.make_cpu();
    result->outcome = run_job(job, *cpu, &watch);
  }
  // The image's own pixels are the same (decoded, transparent collapsed): keep one copy.
  result->outcome.decoded = std::vector<packed_rgba>();
  std::shared_ptr<const full_result> done = result;
  std::atomic_store(&image.last, done);
  return done;
}

std::shared_ptr<const elbow_data> make_elbow(prepared_image& image, const request_settings& settings, engines& pool,
                                             const std::function<bool()>& still_wanted) {
  std::shared_ptr<const elbow_data> kept = std::atomic_load(&image.elbow);
  if (kept && kept->seed == settings.seed) return kept;
  const detail::stopwatch clock;
  image_job job;
  settings.apply(job);
  predicate_observer watch(still_wanted);  // a newer request, or the image deleted or evicted
  auto curve = std::make_shared<elbow_data>();
  curve->seed = settings.seed;
  const auto build = [&](backend& engine) {
    const color_set colors = analyse_colors(image.image.view(), true, engine, &watch);
    curve->points = elbow_curve(colors, job.quantize, engine, &watch);
  };
  if (pool.gpu()) {
    pool.with_gpu([&](backend& gpu, std::string& owner) {
      owner.clear();  // its colours become this count's
      build(gpu);
    });
  } else {
    // Half the cores (the same bytes on any count): the other half keeps the previews quick meanwhile.
    const int threads = pool.threads() > 0 ? pool.threads() : usable_cores();
    build(*make_cpu_backend(std::max(1, threads / 2)));
  }
  curve->seconds = clock.seconds();
  std::shared_ptr<const elbow_data> done = curve;
  std::atomic_store(&image.elbow, done);
  return done;
}

nlohmann::json elbow_json(const prepared_image& image, const elbow_data& elbow) {
  nlohmann::json points = nlohmann::json::array();
  for (const elbow_point& p : elbow.points) {
    points.push_back({{"k", p.k}, {"wcss", p.wcss}, {"mse", p.mse}, {"psnr", number_or_null(p.psnr)},
                      {"seconds", p.seconds}});
  }
  nlohmann::json levels = nlohmann::json::array();
  for (const std::string& name : level_names()) levels.push_back({{"name", name}, {"psnr", level_quality(name).max_psnr}});
  return {{"points", points},
          {"distinct_colors", image.colors.distinct_colors()},
          {"levels", levels},
          {"seed", elbow.seed},
          {"seconds", elbow.seconds}};
}

nlohmann::json result_json(const full_result& result) {
  const job_outcome& o = result.outcome;
  nlohmann::json j = outcome_json(result.job, o);
  j["status"] = "ok";  // as kmq compress --json
  const double pixels = static_cast<double>(o.width) * o.height;
  j["ratio"] = o.input_bytes == 0 ? 0.0 : static_cast<double>(o.png.size()) / static_cast<double>(o.input_bytes);
  j["bits_per_pixel"] = pixels == 0 ? 0.0 : 8.0 * static_cast<double>(o.png.size()) / pixels;
  j["input_bits_per_pixel"] = pixels == 0 ? 0.0 : 8.0 * static_cast<double>(o.input_bytes) / pixels;
  return j;
}

download render_download(const prepared_image& image, const full_result& result, const std::string& what,
                         const request_settings& settings, const elbow_data* elbow) {
  const quantize_result& q = result.outcome.quantized;
  auto as_text = [](const std::vector<std::uint8_t>& bytes) { return std::string(bytes.begin(), bytes.end()); };
  if (what == "png") return {as_text(result.outcome.png), "image/png", output_name(image.name)};
  if (what == "gpl") {
    return {palette_gpl(q.palette, q.usage, output_name(image.name, "")), "text/plain; charset=utf-8",
            output_name(image.name, ".gpl")};
  }
  if (what == "palette.json") {
    return {palette_json(q.palette, q.usage), "application/json", output_name(image.name, "-palette.json")};
  }
  if (what == "palette.png") {
    return {as_text(palette_swatch_png(q.palette, q.usage)), "image/png", output_name(image.name, "-palette.png")};
  }
  if (what == "labels.png") {
    return {as_text(labels_false_colour_png(result.outcome.labels, q.palette.size())), "image/png",
            output_name(image.name, "-labels.png")};
  }
  if (what == "report.html") {
    job_outcome with_pixels = result.outcome;
    with_pixels.decoded = image.image.pixels;
    if (elbow != nullptr) with_pixels.elbow = elbow->points;
    report_context context;
    context.command_line = settings.command_line(image.name) + (elbow != nullptr ? " --elbow" : "");
    context.version = KMQ_VERSION;
    context.level = settings.level;
    return {render_report_html(result.job, with_pixels, context), "text/html; charset=utf-8",
            output_name(image.name, "-report.html")};
  }
  throw http_error(404, "not_found", "no download called '" + what + "'");
}

}  // namespace kmq::serve
