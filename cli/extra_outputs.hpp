// The files a user can ask for beside the PNG: the palette (--palette-out),
// the label map in false colours (--labels-out) and the HTML report
// (--report). Rendered by the pipeline's renderers, written like the PNG.
#pragma once
#include <string>
#include <vector>

#include "kmq/pipeline/image_job.hpp"
#include "kmq/pipeline/job_outcome.hpp"

namespace kmq::cli {

struct extra_outputs {
  std::string palette;  // .gpl, .json or .png
  std::string labels;   // .png
  std::string report;   // .html
  bool any() const { return !palette.empty() || !labels.empty() || !report.empty(); }
};

// Before any work: each path has an extension we write, is not the input,
// nor the PNG's output (`output`; empty or "-": none) nor another of them,
// and does not exist without force (error invalid_argument / output_failed).
void check_extra_outputs(const extra_outputs& extra, const std::string& input, const std::string& output,
                         bool force);

// Whether the job must keep the decoded pixels and label map for them.
bool needs_decoded(const extra_outputs& extra);

// Writes them (each atomically) and returns the paths of those it created;
// when one fails, the ones it created before are removed again and the error
// is rethrown: a run leaves all of its new files or none (compress_command.cpp
// writes the PNG last). A file replaced under --force stays replaced: removing
// it would lose the user's earlier file as well.
std::vector<std::string> write_extra_outputs(const extra_outputs& extra, const image_job& job,
                                             const job_outcome& outcome, const std::string& command_line, bool force);

// Removes files this run wrote (after a later write of the run failed).
void remove_written(const std::vector<std::string>& written);

}  // namespace kmq::cli
