// Exit codes (sysexits.h), all in one place, and the one mapping from the
// library's error kinds to them: nothing below the front-end knows these.
#pragma once
#include "kmq/error.hpp"

namespace kmq::cli {

enum exit_code : int {
  exit_ok = 0,
  exit_usage = 64,        // EX_USAGE: bad option or argument
  exit_data = 65,         // EX_DATAERR: input is not a decodable image, or too large
  exit_no_input = 66,     // EX_NOINPUT: input missing or unreadable
  exit_unavailable = 69,  // EX_UNAVAILABLE: requested backend not available
  exit_internal = 70,     // EX_SOFTWARE: a bug, a failed CUDA call, out of memory
  exit_cant_create = 73,  // EX_CANTCREAT: output cannot be written, or exists without --force
  exit_skipped_larger = 98,  // pngquant's convention: --skip-if-larger left standard output empty (-o -)
  exit_quality = 99,       // pngquant's convention: --quality's minimum cannot be reached (nothing written)
  exit_cancelled = 130,   // 128 + SIGINT: the user stopped the run
};

exit_code exit_code_for(error_kind kind) noexcept;

}  // namespace kmq::cli
