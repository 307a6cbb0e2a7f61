#include "compress_command.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <new>
#include <system_error>


#include "exit_codes.hpp"
#include "image_io.hpp"
#include "kmq/cuda_backend.hpp"
#include "kmq/error.hpp"
#include "kmq/metrics.hpp"
#include "output_file.hpp"
#include "report.hpp"
#include "kmq/stopwatch.hpp"

namespace fs = std::filesystem;

namespace kmq::cli {
namespace {

struct job {
  std::string input, output;
};

bool looks_like_image(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static const char* const known[] = {".png", ".jpg", ".jpeg", ".jpe", ".webp", ".tif", ".tiff", ".bmp"};
  return std::find(std::begin(known), std::end(known), ext) != std::end(known);
}

// The (input, output) pairs, all decided before any image is touched, so a
// usage mistake costs nothing and two inputs never race for one output.
std::vector<job> plan_jobs(const compress_settings& s) {
  if (s.inputs.empty()) throw failure(exit_usage, "", "no input (try: kmq compress photo.jpg -o photo.png)");
  if (s.output.empty() == s.out_dir.empty()) throw failure(exit_usage, "", "give exactly one of -o/--output and --out-dir");
  if (!s.output.empty()) {
    if (s.inputs.size() != 1) throw failure(exit_usage, "", "-o takes one input; use --out-dir for several");
    std::error_code ec;
    if (fs::is_directory(s.inputs[0], ec)) throw failure(exit_usage, s.inputs[0], "is a directory; use --out-dir");
    return {{s.inputs[0], s.output}};
  }
  std::vector<job> jobs;
  std::map<std::string, std::string> claimed;  // output -> input that claimed it
  auto add = [&](const fs::path& input) {
    const std::string output = (fs::path(s.out_dir) / input.stem()).string() + ".png";
    const auto [it, fresh] = claimed.emplace(output, input.string());
    if (!fresh) throw failure(exit_usage, input.string(), "would write the same output as " + it->second + ": " + output);
    jobs.push_back({input.string(), output});
  };
  for (const std::string& input : s.inputs) {
    std::error_code ec;
    if (!fs::is_directory(input, ec)) {
      add(input);
      continue;
    }
    std::vector<fs::path> found;
    for (const auto& entry : fs::directory_iterator(input, ec)) {
      if (entry.is_regular_file(ec) && looks_like_image(entry.path())) found.push_back(entry.path());
    }
    if (ec) throw failure(exit_no_input, input, "cannot list directory: " + ec.message());
    std::sort(found.begin(), found.end());
    for (const fs::path& path : found) add(path);
  }
  std::error_code ec;
  fs::create_directories(s.out_dir, ec);
  if (ec) throw failure(exit_cant_create, s.out_dir, "cannot create output directory: " + ec.message());
  return jobs;
}

exit_code code_for(const error& e) {
  switch (e.kind()) {
    case error_kind::invalid_argument: return exit_usage;
    case error_kind::backend_unavailable: return exit_unavailable;
    case error_kind::out_of_memory:
    case error_kind::internal: break;
  }
  return exit_internal;
}

class compressor {
 public:
  explicit compressor(const compress_settings& s) : settings_(s), engine_(make_backend(s.backend, s.threads)) {}

  void run(const job& j) {
    detail::stopwatch total;
    check_output_path(j.input, j.output, settings_.force);
    detail::stopwatch decoding;
    decoded_image image = decode_image(j.input, settings_.max_pixels);
    const double decode_seconds = decoding.seconds();
    collapse_transparent(image.pixels.data(), image.pixels.size());

    const quantize_result result = quantize_with_fallback(image.pixels);
    detail::stopwatch measuring;
    const image_metrics metrics = measure_quantization(image.pixels.data(), result.indices.data(), result.palette,
                                                       image.width, image.height);
    const double metrics_seconds = measuring.seconds();
    detail::stopwatch encoding;
    const std::vector<std::uint8_t> png =
        encode_palette_png(result.palette, result.indices, image.width, image.height, settings_.png_level);
    write_file_atomically(j.output, png, settings_.force);
    const double encode_seconds = encoding.seconds();

    job_report r;
    r.input = j.input;
    r.output = j.output;
    r.width = image.width;
    r.height = image.height;
    r.colors_requested = settings_.quantize.kmeans.k;
    r.result = &result;
    r.metrics = metrics;
    r.input_bytes = image.file_bytes;
    r.output_bytes = png.size();
    r.backend = engine_->name();
    r.device = engine_->device();
    r.threads = engine_->threads();
    r.seed = settings_.quantize.kmeans.seed;
    r.restarts = settings_.quantize.kmeans.restarts;
    r.init = settings_.quantize.kmeans.init == init_method::random ? "random" : "kmeans++";
    r.dedupe = settings_.quantize.dedupe;
    r.png_level = settings_.png_level;
    r.decode_seconds = decode_seconds;
    r.metrics_seconds = metrics_seconds;
    r.encode_seconds = encode_seconds;
    r.total_seconds = total.seconds();
    if (settings_.json) {
      std::cout << report_json(r).dump() << '\n' << std::flush;
    } else if (!settings_.quiet) {
      std::cout << report_text(r, settings_.verbose) << '\n' << std::flush;
    }
  }

 private:
  // A GPU that runs out of memory under --backend auto hands the image to the
  // CPU, which gives the same bytes; an explicit --backend cuda reports it.
  quantize_result quantize_with_fallback(const std::vector<packed_rgba>& pixels) {
    try {
      return quantize(pixels.data(), pixels.size(), settings_.quantize, *engine_);
    } catch (const error& e) {
      if (e.kind() != error_kind::out_of_memory || settings_.backend != backend_choice::automatic ||
          engine_->name() == "cpu") {
        throw;
      }
      if (!settings_.quiet) std::cerr << "kmq: " << e.what() << "; using the CPU\n";
      engine_ = make_cpu_backend(settings_.threads);
      return quantize(pixels.data(), pixels.size(), settings_.quantize, *engine_);
    }
  }

  const compress_settings& settings_;
  std::unique_ptr<backend> engine_;
};

}  // namespace

int run_compress(const compress_settings& settings) {
  const std::vector<job> jobs = plan_jobs(settings);
  std::unique_ptr<compressor> worker;
  try {
    worker = std::make_unique<compressor>(settings);
  } catch (const error& e) {
    throw failure(code_for(e), "", e.what());
  }
  if (settings.verbose && !settings.quiet && settings.backend == backend_choice::automatic) {
    const cuda_status cuda = cuda_probe();
    if (!cuda.available) std::cerr << "kmq: no CUDA device (" << cuda.reason << "); using the CPU\n";
  }
  int first_failure = exit_ok;
  for (const job& j : jobs) {
    exit_code code = exit_ok;
    std::string message;
    try {
      worker->run(j);
    } catch (const failure& f) {
      code = f.code();
      message = f.message();
    } catch (const error& e) {
      code = code_for(e);
      message = j.input + ": " + e.what();
    } catch (const std::bad_alloc&) {
      code = exit_internal;
      message = j.input + ": out of memory";
    } catch (const std::exception& e) {
      code = exit_internal;
      message = j.input + ": internal error: " + e.what();
    }
    if (code != exit_ok) {
      std::cerr << "kmq: " << message << '\n';
      if (first_failure == exit_ok) first_failure = code;
    }
  }
  return first_failure;
}

}  // namespace kmq::cli
