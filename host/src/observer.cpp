#include "kmq/observer.hpp"

#include "kmq/error.hpp"

namespace kmq {

const char* stage_name(job_stage stage) noexcept {
  switch (stage) {
    case job_stage::decode: return "decode";
    case job_stage::histogram: return "histogram";
    case job_stage::seed: return "seed";
    case job_stage::iterate: return "iterate";
    case job_stage::map: return "map";
    case job_stage::metrics: return "metrics";
    case job_stage::encode: return "encode";
    case job_stage::write: return "write";
  }
  return "unknown";
}

void report_stage(observer* watcher, job_stage stage) {
  if (watcher != nullptr && !watcher->on_stage(stage)) {
    throw error(error_kind::cancelled, std::string("cancelled before ") + stage_name(stage));
  }
}

void report_iteration(observer* watcher, const iteration_stats& pass) {
  if (watcher != nullptr && !watcher->on_iteration(pass)) {
    throw error(error_kind::cancelled, "cancelled after Lloyd pass " + std::to_string(pass.pass + 1));
  }
}

}  // namespace kmq
