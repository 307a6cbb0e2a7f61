// WebP through libwebp directly: RGBA straight from the decoder, the same
// values OpenCV 4.6's WebPDecodeBGR(A)Into gave (alpha 255 where the file has
// none). An animated WebP (which OpenCV refused) gives its first frame as
// libwebpdemux composes it on the canvas, and says how many more there are.
#include <webp/decode.h>
#include <webp/demux.h>

#include <algorithm>
#include <cstring>

#include "format_decoders.hpp"
#include "kmq/error.hpp"

namespace kmq::io::detail {
namespace {

const char* status_text(VP8StatusCode status) {
  switch (status) {
    case VP8_STATUS_OUT_OF_MEMORY: return "out of memory";
    case VP8_STATUS_INVALID_PARAM: return "invalid parameter";
    case VP8_STATUS_BITSTREAM_ERROR: return "bitstream error";
    case VP8_STATUS_UNSUPPORTED_FEATURE: return "unsupported feature";
    case VP8_STATUS_SUSPENDED: return "suspended";
    case VP8_STATUS_USER_ABORT: return "aborted";
    case VP8_STATUS_NOT_ENOUGH_DATA: return "not enough data (truncated file)";
    default: return "corrupt data";
  }
}

// A file libwebp cannot read, named with libwebp's reason.
error webp_failure(const std::string& path, const char* kind, const std::string& why) {
  return error(error_kind::bad_input, path, std::string("cannot decode ") + kind + " (libwebp: " + why + ")");
}

class webp_output {
 public:
  explicit webp_output(WebPDecoderConfig& config) : config_(config) {}
  ~webp_output() { WebPFreeDecBuffer(&config_.output); }
  webp_output(const webp_output&) = delete;
  webp_output& operator=(const webp_output&) = delete;

 private:
  WebPDecoderConfig& config_;
};

class anim_decoder {
 public:
  anim_decoder(const WebPData* data, const WebPAnimDecoderOptions* options)
      : decoder_(WebPAnimDecoderNew(data, options)) {}
  ~anim_decoder() { WebPAnimDecoderDelete(decoder_); }
  anim_decoder(const anim_decoder&) = delete;
  anim_decoder& operator=(const anim_decoder&) = delete;
  WebPAnimDecoder* get() const { return decoder_; }

 private:
  WebPAnimDecoder* decoder_;
};

// The first frame of an animated WebP, composed on its canvas.
void decode_first_frame(const std::uint8_t* data, std::size_t size, const std::string& path, std::uint64_t max_pixels,
                        decoded_image& image) {
  auto fail = [&path](const std::string& why) { return webp_failure(path, "animated WebP", why); };
  WebPAnimDecoderOptions options;
  if (!WebPAnimDecoderOptionsInit(&options)) throw fail("library version mismatch");
  options.color_mode = MODE_RGBA;  // straight alpha
  options.use_threads = 0;
  const WebPData whole{data, size};
  const anim_decoder decoder(&whole, &options);
  WebPAnimInfo info;
  if (decoder.get() == nullptr || !WebPAnimDecoderGetInfo(decoder.get(), &info)) throw fail("corrupt data");
  if (info.canvas_width == 0 || info.canvas_height == 0) throw fail("empty image");
  check_pixel_limit(path, info.canvas_width, info.canvas_height, max_pixels);
  std::uint8_t* frame = nullptr;
  int timestamp = 0;
  if (!WebPAnimDecoderGetNext(decoder.get(), &frame, &timestamp) || frame == nullptr) throw fail("corrupt data");
  image.width = info.canvas_width;
  image.height = info.canvas_height;
  image.pixels.resize(std::size_t{image.width} * image.height);
  std::memcpy(image.pixels.data(), frame, image.pixels.size() * sizeof(packed_rgba));
  image.has_alpha = std::any_of(image.pixels.begin(), image.pixels.end(), [](packed_rgba p) { return alpha_of(p) < 255; });
  if (info.frame_count > 1) {
    image.more_images = info.frame_count - 1;
    image.more_images_are = "frame";
  }
}

}  // namespace

void decode_webp(const std::uint8_t* data, std::size_t size, const std::string& path, std::uint64_t max_pixels,
                 decoded_image& image) {
  auto fail = [&path](const std::string& why) { return webp_failure(path, "WebP", why); };
  WebPDecoderConfig config;
  if (!WebPInitDecoderConfig(&config)) throw fail("library version mismatch");
  const VP8StatusCode features = WebPGetFeatures(data, size, &config.input);
  if (features != VP8_STATUS_OK) throw fail(status_text(features));
  if (config.input.has_animation) {
    decode_first_frame(data, size, path, max_pixels, image);
    return;
  }
  const int width = config.input.width, height = config.input.height;
  if (width <= 0 || height <= 0) throw fail("empty image");
  check_pixel_limit(path, static_cast<std::uint64_t>(width), static_cast<std::uint64_t>(height), max_pixels);
  image.width = static_cast<std::uint32_t>(width);
  image.height = static_cast<std::uint32_t>(height);
  image.pixels.resize(std::size_t{image.width} * image.height);

  webp_output output(config);
  config.output.colorspace = MODE_RGBA;
  config.output.is_external_memory = 1;
  config.output.u.RGBA.rgba = reinterpret_cast<std::uint8_t*>(image.pixels.data());
  config.output.u.RGBA.stride = width * 4;
  config.output.u.RGBA.size = image.pixels.size() * sizeof(packed_rgba);
  const VP8StatusCode status = WebPDecode(data, size, &config);
  if (status != VP8_STATUS_OK) throw fail(status_text(status));
  image.has_alpha = config.input.has_alpha != 0;
}

}  // namespace kmq::io::detail
