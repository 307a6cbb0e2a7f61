// libFuzzer target: bytes -> decode -> quantize -> remap -> metrics -> encode,
// all in memory through run_job() on a one-thread CPU backend (the input
// format is in fuzz_job.hpp). A kmq::error is the expected answer to a bad
// input; anything else is a finding: a crash, a sanitizer report, another
// exception (libFuzzer reports it as a deadly signal), a run past -timeout,
// or a PNG that does not decode back to palette[label] for every pixel.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "fuzz_job.hpp"
#include "kmq/cpu_backend.hpp"
#include "kmq/error.hpp"
#include "kmq/io/image_decoder.hpp"
#include "kmq/pipeline/run_job.hpp"

namespace {

[[noreturn]] void finding(const char* what) {
  std::fprintf(stderr, "fuzz_decode_quantize: %s\n", what);
  std::abort();
}

// What a successful job returned must be a well-formed answer.
void check_outcome(const kmq::image_job& job, const kmq::job_outcome& out) {
  const std::uint64_t pixels = std::uint64_t{out.width} * out.height;
  if (pixels == 0 || pixels > job.limits.max_pixels) finding("decoded size outside the limits");
  const auto& palette = out.quantized.palette;
  if (palette.empty() || palette.size() > static_cast<std::size_t>(job.quantize.kmeans.k))
    finding("palette size outside 1..K");
  if (out.decoded.size() != pixels || out.labels.indices.size() != pixels) finding("pixel or label count != width*height");
  for (const std::uint8_t label : out.labels.indices)
    if (label >= palette.size()) finding("label outside the palette");
  if (out.metrics.ssim != out.metrics.ssim || out.metrics.ssim < -1.0 || out.metrics.ssim > 1.0 + 1e-9)
    finding("SSIM not in [-1, 1]");

  // The PNG decodes back to the palette colour of every pixel's label.
  const kmq::io::image_decoder decoder(job.limits);
  kmq::io::decoded_image back;
  try {
    back = decoder.decode_bytes(out.png, "kmq-output.png");
  } catch (const kmq::error& e) {
    std::fprintf(stderr, "output PNG does not decode: %s\n", e.describe().c_str());
    finding("kmq's own PNG is refused by its decoder");
  }
  if (back.width != out.width || back.height != out.height) finding("output PNG has another size");
  for (std::size_t i = 0; i < back.pixels.size(); ++i)
    if (back.pixels[i] != palette[out.labels.indices[i]]) finding("output PNG pixel != palette[label]");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // One engine for the whole run, as a front-end reuses one per worker.
  static const std::unique_ptr<kmq::backend> engine = kmq::make_cpu_backend(1);
  const kmq::image_job job = kmq::fuzz::job_from_fuzz_input(data, size);
  try {
    const kmq::job_outcome outcome = kmq::run_job(job, *engine);
    check_outcome(job, outcome);
  } catch (const kmq::error&) {
    // The expected answer to a bad input.
  }
  return 0;
}
