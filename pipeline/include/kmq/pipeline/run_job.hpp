// The one pipeline every front-end calls: decode -> quantize -> remap ->
// metrics -> encode -> write. It never prints and knows no exit codes:
// failures are kmq::error (with the file's path), progress and notices go to
// the observer, which may cancel. Jobs share no state, so several may run at
// once on different threads, each with its own backend.
#pragma once
#include "kmq/backend.hpp"
#include "kmq/observer.hpp"
#include "kmq/pipeline/image_job.hpp"
#include "kmq/pipeline/job_outcome.hpp"

namespace kmq {

// engine: used for this job alone while it runs; may be reused for the next.
job_outcome run_job(const image_job& job, backend& engine, observer* watcher = nullptr);

}  // namespace kmq
