// The work behind the endpoints, on one prepared image: prepare an upload
// (checks, decode, colours counted once), a preview (quantize + remap from the
// prepared colours: palette + label map, no PNG), a full result (run_job on the
// upload's bytes: the PNG and statistics of `kmq compress`), and the files a
// user downloads, rendered by the pipeline's renderers.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "image_store.hpp"
#include "kmq/backend_select.hpp"
#include "request_settings.hpp"

namespace kmq::serve {

// An HTTP answer other than 200: status, a short kind and the reason.
struct http_error : std::runtime_error {
  http_error(int status_, std::string kind_, const std::string& reason)
      : std::runtime_error(reason), status(status_), kind(std::move(kind_)) {}
  int status;
  std::string kind;
};

// The engines the server's jobs run on: a CPU backend per prepared image (it
// holds that image's colours), one per full-result job, and, when --backend
// finds a GPU, that GPU shared by all under a lock; an image's colours are
// counted on it again when another image used it since.
class engines {
 public:
  engines(backend_choice choice, int threads);
  bool gpu() const { return gpu_ != nullptr; }
  std::string name() const;
  int threads() const { return threads_; }
  std::unique_ptr<backend> make_cpu() const;

  // Runs fn with the shared GPU locked; owner: the image whose colours it holds now.
  void with_gpu(const std::function<void(backend&, std::string& owner)>& fn);

 private:
  int threads_;
  std::unique_ptr<backend> gpu_;
  std::mutex gpu_mutex_;
  std::string gpu_owner_;
};

// Checks (format from the header: 415; pixels over limits.max_pixels from the
// header: 413), decodes (422 when broken), counts the colours on a new CPU backend.
std::shared_ptr<prepared_image> prepare_upload(const std::string& id, const std::string& name,
                                               std::shared_ptr<const std::vector<std::uint8_t>> bytes,
                                               const io::decode_limits& limits, const engines& pool);

struct preview_data {
  nlohmann::json stats;                 // k, palette_size, width, height, mse, psnr, seconds, backend
  std::vector<packed_rgba> palette;
  std::vector<std::uint8_t> labels;     // 1 byte per pixel, row-major
};

// The palette and label map for settings, from the prepared colours. Throws
// error(cancelled) when still_wanted() turns false. Caller holds image.busy.
preview_data make_preview(prepared_image& image, const request_settings& settings, engines& pool,
                          const std::function<bool()>& still_wanted);

// run_job on the upload's bytes with settings: the bytes and statistics of
// kmq compress. Reuses image.last when its settings are the same. Caller holds image.busy.
std::shared_ptr<const full_result> make_full_result(prepared_image& image, const request_settings& settings,
                                                    engines& pool, const std::function<bool()>& still_wanted);

// The error against K (kmq compress --elbow): palettes of K = 2, 4, ... 256
// from the image's colours, with settings' seed (K, a target and dithering do
// not change it). Counted on a CPU backend of its own with half the threads
// (or on the GPU), not on image.engine, so the image's previews are not held
// up meanwhile. Reuses image.elbow when its seed is the same. Throws
// error(cancelled) when still_wanted() turns false (the routes' turns false
// when the image is deleted or evicted too).
std::shared_ptr<const elbow_data> make_elbow(prepared_image& image, const request_settings& settings, engines& pool,
                                             const std::function<bool()>& still_wanted);

// {points: [{k, wcss, mse, psnr, seconds}] as kmq compress --json's "elbow",
// distinct_colors, levels: [{name, psnr}] (the level's target), seconds}.
nlohmann::json elbow_json(const prepared_image& image, const elbow_data& elbow);

// The page's statistics: outcome_json (as kmq compress --json) plus the ratio and bits per pixel.
nlohmann::json result_json(const full_result& result);

// A file to download: "png", "gpl", "palette.json", "palette.png", "labels.png", "report.html".
// elbow: the report's elbow curve (as kmq compress --elbow --report), or nullptr.
struct download {
  std::string body, content_type, filename;
};
download render_download(const prepared_image& image, const full_result& result, const std::string& what,
                         const request_settings& settings, const elbow_data* elbow = nullptr);

// The name of the PNG for an upload: its stem + ".png", only safe characters.
std::string output_name(const std::string& upload_name, const std::string& suffix = ".png");

}  // namespace kmq::serve
