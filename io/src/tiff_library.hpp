// libtiff, loaded when the first TIFF comes instead of when kmq starts. With
// the codecs it links (zstd, lzma, Lerc, jbig) it was the largest part of
// kmq's start-up after libstdc++: a 1x1 PNG's whole run paid for it
// (bench/NOTES.md, "Start-up: libtiff when a TIFF comes"). Only the entry
// points read_tiff() calls; the types and tags are tiffio.h's. Internal to kmq_io.
#pragma once
#include <tiffio.h>

#include <string>

namespace kmq::io::detail {

// Every entry point read_tiff() calls, once: the struct's member and the
// libtiff function it stands for.
#define KMQ_TIFF_COMMON_ENTRY_POINTS(X)                                                                      \
  X(close, TIFFClose) X(get_field, TIFFGetField) X(get_field_defaulted, TIFFGetFieldDefaulted)             \
  X(number_of_directories, TIFFNumberOfDirectories) X(is_tiled, TIFFIsTiled) X(compute_tile, TIFFComputeTile) \
  X(compute_strip, TIFFComputeStrip) X(read_encoded_tile, TIFFReadEncodedTile)                             \
  X(read_encoded_strip, TIFFReadEncodedStrip) X(rgba_image_ok, TIFFRGBAImageOK)                            \
  X(rgba_image_begin, TIFFRGBAImageBegin) X(rgba_image_get, TIFFRGBAImageGet) X(rgba_image_end, TIFFRGBAImageEnd)
#if TIFFLIB_VERSION >= 20221213  // libtiff 4.5.0: handlers for one TIFF*
#define KMQ_TIFF_ENTRY_POINTS(X)                                                                             \
  KMQ_TIFF_COMMON_ENTRY_POINTS(X)                                                                            \
  X(open_options_alloc, TIFFOpenOptionsAlloc) X(open_options_free, TIFFOpenOptionsFree)                    \
  X(open_options_set_error_handler, TIFFOpenOptionsSetErrorHandlerExtR)                                    \
  X(open_options_set_warning_handler, TIFFOpenOptionsSetWarningHandlerExtR) X(client_open, TIFFClientOpenExt)
#else
#define KMQ_TIFF_ENTRY_POINTS(X) KMQ_TIFF_COMMON_ENTRY_POINTS(X) X(client_open, TIFFClientOpen)
#endif

struct tiff_library {
#define KMQ_TIFF_MEMBER(member, function) decltype(&function) member;
  KMQ_TIFF_ENTRY_POINTS(KMQ_TIFF_MEMBER)
#undef KMQ_TIFF_MEMBER
};

// The library, loaded on the first call (any thread; once). Throws
// error(bad_input) with path when it cannot be loaded or lacks an entry
// point: the TIFF cannot be read by this installation.
const tiff_library& tiff_api(const std::string& path);

}  // namespace kmq::io::detail
