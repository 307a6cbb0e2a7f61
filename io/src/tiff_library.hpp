// libtiff, loaded when the first TIFF comes instead of when kmq starts. With
// the codecs it links (zstd, lzma, Lerc, jbig) it was the largest part of
// kmq's start-up after libstdc++: a 1x1 PNG's whole run paid for it
// (bench/NOTES.md, "Start-up: libtiff when a TIFF comes"). Only the entry
// points read_tiff() calls; the types and tags are tiffio.h's. Internal to kmq_io.
#pragma once
#include <tiffio.h>

#include <string>

namespace kmq::io::detail {

struct tiff_library {
  decltype(&TIFFClose) close;
  decltype(&TIFFGetField) get_field;
  decltype(&TIFFGetFieldDefaulted) get_field_defaulted;
  decltype(&TIFFNumberOfDirectories) number_of_directories;
  decltype(&TIFFIsTiled) is_tiled;
  decltype(&TIFFComputeTile) compute_tile;
  decltype(&TIFFComputeStrip) compute_strip;
  decltype(&TIFFReadEncodedTile) read_encoded_tile;
  decltype(&TIFFReadEncodedStrip) read_encoded_strip;
  decltype(&TIFFRGBAImageOK) rgba_image_ok;
  decltype(&TIFFRGBAImageBegin) rgba_image_begin;
  decltype(&TIFFRGBAImageGet) rgba_image_get;
  decltype(&TIFFRGBAImageEnd) rgba_image_end;
#if TIFFLIB_VERSION >= 20221213  // libtiff 4.5.0: handlers for one TIFF*
  decltype(&TIFFOpenOptionsAlloc) open_options_alloc;
  decltype(&TIFFOpenOptionsFree) open_options_free;
  decltype(&TIFFOpenOptionsSetErrorHandlerExtR) open_options_set_error_handler;
  decltype(&TIFFOpenOptionsSetWarningHandlerExtR) open_options_set_warning_handler;
  decltype(&TIFFClientOpenExt) client_open;
#else
  decltype(&TIFFClientOpen) client_open;
#endif
};

// The library, loaded on the first call (any thread; once). Throws
// error(bad_input) with path when it cannot be loaded or lacks an entry
// point: the TIFF cannot be read by this installation.
const tiff_library& tiff_api(const std::string& path);

}  // namespace kmq::io::detail
