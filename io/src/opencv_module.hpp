// The C interface between kmq_io and the kmq_opencv_decoder module, which
// holds everything of kmq that touches OpenCV: the kmq binary links no OpenCV
// and dlopen()s the module only when a file needs it (BMP, rarer TIFFs).
// Internal to kmq_io; both sides are built from the same tree.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kmq/pixels.hpp"

extern "C" {

struct kmq_opencv_request {
  const std::uint8_t* bytes;
  std::size_t size;
  // Called once the image's size is known: where its width * height RGBA
  // pixels go, or nullptr to refuse it (over the pixel limit).
  kmq::packed_rgba* (*allocate)(void* context, std::uint32_t width, std::uint32_t height);
  void* context;
};

enum kmq_opencv_status {
  kmq_opencv_ok = 0,
  kmq_opencv_cannot_decode = 1,  // message: the decoder's complaint, may be empty
  kmq_opencv_refused = 2,        // allocate said no
  kmq_opencv_unsupported = 3,    // message: OpenCV's type name
};

struct kmq_opencv_result {
  int status;
  int has_alpha;
  char message[512];
};

typedef void (*kmq_opencv_decode_fn)(const kmq_opencv_request* request, kmq_opencv_result* result);
}

#define KMQ_OPENCV_DECODE_SYMBOL "kmq_opencv_decode_v1"
#define KMQ_OPENCV_MODULE_FILE "kmq_opencv_decoder.so"
