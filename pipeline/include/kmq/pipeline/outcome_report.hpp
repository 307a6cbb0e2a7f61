// A job's outcome as the command line shows it: one JSON object, or a short
// human summary. Renderers only: they compute nothing the outcome lacks.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "kmq/pipeline/image_job.hpp"
#include "kmq/pipeline/job_outcome.hpp"

namespace kmq {

nlohmann::json outcome_json(const image_job& job, const job_outcome& outcome);

// One line; verbose adds stage times, the error and the WCSS of every pass.
std::string outcome_text(const image_job& job, const job_outcome& outcome, bool verbose);

}  // namespace kmq
