// A job's outcome as the command line shows it: one JSON object, or a short
// human summary. Renderers only: they compute nothing the outcome lacks.
#pragma once
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "kmq/pipeline/image_job.hpp"
#include "kmq/pipeline/job_outcome.hpp"

namespace kmq {

nlohmann::json outcome_json(const image_job& job, const job_outcome& outcome);

// How a file name appears in the summary: a terminal wants control
// characters quoted, which only the names (never kmq's own text) can hold.
using name_view = std::function<std::string(const std::string&)>;

// One line, and one more (indented) each for a quality search, an elbow
// curve and verbose's stage times, error and WCSS of every pass. Names pass
// through show_name when it is given.
std::string outcome_text(const image_job& job, const job_outcome& outcome, bool verbose,
                         const name_view& show_name = {});

}  // namespace kmq
