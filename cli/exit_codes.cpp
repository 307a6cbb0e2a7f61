#include "exit_codes.hpp"

namespace kmq::cli {

exit_code exit_code_for(error_kind kind) noexcept {
  switch (kind) {
    case error_kind::invalid_argument: return exit_usage;
    case error_kind::input_unreadable: return exit_no_input;
    case error_kind::bad_input: return exit_data;
    case error_kind::output_failed: return exit_cant_create;
    case error_kind::backend_unavailable: return exit_unavailable;
    case error_kind::cancelled: return exit_cancelled;
    case error_kind::quality_not_met: return exit_quality;
    case error_kind::out_of_memory:
    case error_kind::internal: break;
  }
  return exit_internal;
}

}  // namespace kmq::cli
