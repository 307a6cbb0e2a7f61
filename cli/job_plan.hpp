// Which inputs become which outputs, decided before any image is touched, so
// a usage mistake costs nothing and two inputs never race for one output.
#pragma once
#include <string>
#include <vector>

#include "kmq/pipeline/job_outcome.hpp"

namespace kmq::cli {

// "-": standard input as INPUT, standard output as -o.
constexpr const char* standard_stream = "-";

struct planned_job {
  std::string input, output;
};

// -o OUTPUT with one input, or --out-dir DIR with any number of files and
// directories (a directory stands for the image files directly in it, in name
// order, except those kmq wrote itself: see io::kmq_output_origin). Does not
// create DIR (the caller does, when the run is about to write). Throws
// error(invalid_argument) for a mistake in the arguments (-o not naming a
// .png), input_unreadable for a directory that cannot be listed or when no
// image is found.
std::vector<planned_job> plan_jobs(const std::vector<std::string>& inputs, const std::string& output,
                                   const std::string& out_dir);

// A file's path made absolute with its folder resolved (links followed, then
// ".."), its name not: every spelling of one file gives one path, while a
// link to it keeps a name of its own. The path as given where it cannot be
// resolved.
std::string resolved_path(const std::string& path);

// Whether two paths land on one file: the same path once made absolute and
// links and dots resolved, or (both existing) the same file by a hard link.
bool same_file(const std::string& a, const std::string& b);

// For an output folder that is not there yet, made when its first output is
// written: throws error(output_failed) now, before any work, where it could
// not be made (its nearest existing parent not a directory, or not writable).
void check_folder_can_be_made(const std::string& folder);

// The PNG of a job run_job() was given no output for, written to `output`
// (never replacing one without force), after making its folder where
// make_folder: outcome.output and the write's seconds set as run_job() sets them.
void write_job_output(job_outcome& outcome, const std::string& output, const std::string& input, bool force,
                      bool make_folder);

}  // namespace kmq::cli
