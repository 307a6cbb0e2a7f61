// One image's work, as a front-end plans it: where it comes from and goes,
// and every setting that decides the output. Plain data; run_job() does it.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kmq/io/image_decoder.hpp"
#include "kmq/io/png_encoder.hpp"
#include "kmq/quantize_params.hpp"

namespace kmq {

// What run_job() does when the backend it was given runs out of memory.
enum class memory_fallback {
  cpu,    // run the image again on a CPU backend (same bytes) and say so in a notice
  none,   // report error_kind::out_of_memory
};

// A PSNR target in dB, as pngquant's --quality but in dB: the smallest K
// that reaches max_psnr; K = 256 when that only reaches min_psnr; nothing
// (error quality_not_met) when even that stays below min_psnr.
struct quality_target {
  double min_psnr = 0.0;
  double max_psnr = 0.0;
};

struct image_job {
  std::string input;   // the file to read, or the name of input_bytes in messages
  // When set, the image is decoded from these bytes and no file is read.
  std::shared_ptr<const std::vector<std::uint8_t>> input_bytes;
  // When set, input_bytes (or the file) as the caller decoded them already
  // (kmq serve keeps every upload decoded): run_job() decodes nothing and
  // works on a copy. Not owned; it must outlive the run_job() call.
  const io::decoded_image* input_decoded = nullptr;
  std::string output;  // the file to write; empty: the PNG is only returned in the outcome
  bool force = false;  // replace an existing output

  quantize_options quantize;           // kmeans.restarts 0: automatic for each K
  std::optional<quality_target> quality;  // choose K by PSNR; quantize.kmeans.k is then ignored
  bool elbow = false;                   // also build K = 2, 4, ... 256 and record their error
  remap_options remap;
  io::decode_limits limits;
  int png_level = io::default_png_level;  // deflate level 0-12 (libdeflate)

  bool measure = true;          // compute MSE, PSNR and SSIM
  bool keep_decoded = false;    // keep the decoded pixels and the label map in the outcome
  memory_fallback on_out_of_memory = memory_fallback::cpu;
  int fallback_threads = 0;     // threads of that CPU backend, and of the metrics and the PNG encoder; 0 = every core
};

}  // namespace kmq
