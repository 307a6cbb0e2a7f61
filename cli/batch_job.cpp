#include "batch_job.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <new>

#include "batch_manifest.hpp"
#include "exit_codes.hpp"
#include "job_plan.hpp"
#include "kmq/io/output_file.hpp"
#include "kmq/pipeline/outcome_report.hpp"
#include "kmq/pipeline/run_job.hpp"

namespace fs = std::filesystem;

namespace kmq::cli {

job_result failure(job_result r, const std::string& about, error_kind kind, const std::string& reason) {
  const exit_code code = exit_code_for(kind);
  r.status = result_status::failed;
  r.message = "kmq: " + about + ": " + reason;
  const std::string input = r.line["input"].get<std::string>();
  r.line.update(failure_json(input, code, kind_name(kind), about == input ? reason : about + ": " + reason));
  return r;
}

job_result process_input(const batch_context& context, const batch_input& in, backend& engine, bool (*stopping)()) {
  const batch_settings& s = context.settings;
  job_result r;
  const std::string input_id = path_id(in.input), output_id = path_id(in.output);
  r.line = {{"input", in.input}, {"output", in.output}, {"input_id", input_id},
            {"params", context.params}, {"params_hash", context.hash}};
  if (!output_id.empty()) r.line["output_id"] = output_id;
  if (!in.refused.empty()) return failure(r, in.input, error_kind::invalid_argument, in.refused);
  file_stamp stamp;
  const bool stamped = stamp_of(in.input, stamp);
  if (stamped) {
    r.line["input_size"] = stamp.size;
    r.line["input_mtime_ns"] = stamp.mtime_ns;
  }
  struct stat info {};
  const bool output_exists = ::lstat(in.output.c_str(), &info) == 0;
  bool force = s.image.job.force;
  if (s.skip_existing) {
    auto skip = [&](const std::string& reason) {
      r.status = result_status::skipped;
      r.line["status"] = "skipped";
      r.line["reason"] = reason;
      return r;
    };
    if (!context.done) {
      // An output kmq wrote from another file of this input's folder (its
      // mark says which: a.jpg's, before a.png came beside it and the clash
      // rule gave it the name) is not this input's. A mark of another folder
      // is this input's tree moved or mounted elsewhere: skipped as before.
      const std::string mark = output_exists ? io::kmq_output_origin(in.output) : std::string();
      const std::string origin = io::origin_of_input(in.input);
      if (!mark.empty() && mark != origin && fs::path(mark).parent_path() == fs::path(origin).parent_path()) {
        if (!force) {
          return failure(r, in.output, error_kind::output_failed,
                         "exists, written from " + mark + ", not from this input (use --force to replace it)");
        }
      } else if (output_exists) {
        return skip("output exists");
      }
    } else {
      const manifest_entry* recorded = context.done->find(in.input, input_id, in.output, output_id);
      const bool same = recorded && recorded->params == context.params && stamped && recorded->input == stamp;
      if (same && recorded->status == "ok" && output_exists) return skip("done with the same params (manifest)");
      if (same && recorded->status == "skipped_larger" && s.skip_if_larger && !output_exists) {
        return skip("skipped_larger with the same params (manifest)");
      }
      // Redo: kmq's own earlier output of this input may be replaced. The
      // mark decides where there is one: a manifest line names the input
      // as given, and another tree's file may have the same relative name.
      const std::string mark = output_exists ? io::kmq_output_origin(in.output) : std::string();
      const bool made_from_this_input =
          mark.empty() ? recorded && recorded->status == "ok" : mark == io::origin_of_input(in.input);
      if (output_exists && made_from_this_input) force = true;
    }
  }
  try {
    // A subfolder is made when its first output is written, so that one
    // whose inputs all fail is never made (and none is ever taken away,
    // which could race with another run writing into it).
    std::error_code ec;
    const fs::path folder = fs::path(in.output).parent_path();
    const bool make_folder = !folder.empty() && !fs::is_directory(folder, ec);
    image_job job = s.image.job;
    job.input = in.input;
    job.force = force;
    // The backends are made beside this image's decoding (run_job decodes before it calls its backend).
    if (context.engines != nullptr) context.engines->start();
    predicate_observer watcher([stopping] { return !stopping(); });  // the batch is stopping
    job_outcome outcome;
    if (s.skip_if_larger || make_folder) {
      // Where the folder is not there yet nothing in it can clash (an output
      // path has no ".."); where it could not be made, that is found now.
      if (make_folder) check_folder_can_be_made(folder.string());
      else io::check_output_path(job.input, in.output, force);
      job.output.clear();  // decide first, write after
      outcome = run_job(job, engine, &watcher);
      if (s.skip_if_larger && outcome.png.size() > outcome.input_bytes) {
        r.status = result_status::skipped_larger;
        r.in_bytes = outcome.input_bytes;
        nlohmann::json line = outcome_json(job, outcome);
        line.update(r.line);
        line["status"] = "skipped_larger";
        line["reason"] = "the PNG (" + std::to_string(outcome.png.size()) + " bytes) would be larger than the input (" +
                         std::to_string(outcome.input_bytes) + " bytes); nothing written";
        // An output kmq made from this input with other settings would be
        // left standing for these: where it may be replaced, it goes.
        if (force && output_exists && io::kmq_output_origin(in.output) == io::origin_of_input(in.input) &&
            ::unlink(in.output.c_str()) == 0) {
          line["reason"] = line["reason"].get<std::string>() + "; the earlier output, made with other settings, removed";
        }
        r.line = std::move(line);
        return r;
      }
      write_job_output(outcome, in.output, job.input, force, make_folder);
    } else {
      job.output = in.output;
      outcome = run_job(job, engine, &watcher);
    }
    r.status = result_status::ok;
    r.in_bytes = outcome.input_bytes;
    r.out_bytes = outcome.png.size();
    nlohmann::json line = outcome_json(job, outcome);
    line.update(r.line);
    line["status"] = "ok";
    r.line = std::move(line);
    return r;
  } catch (const error& e) {
    if (e.kind() == error_kind::cancelled && stopping()) {
      r.status = result_status::cancelled;
      return r;
    }
    // Another run into the same OUTDIR wrote this output meanwhile: with
    // --skip-existing, that is a skip, not a failure.
    struct stat now {};
    if (e.kind() == error_kind::output_failed && s.skip_existing && !force && !output_exists &&
        ::lstat(in.output.c_str(), &now) == 0) {
      r.status = result_status::skipped;
      r.line["status"] = "skipped";
      r.line["reason"] = "output exists (written meanwhile by another run)";
      return r;
    }
    return failure(r, e.path().empty() ? in.input : e.path(), e.kind(), e.what());
  } catch (const std::bad_alloc&) {
    return failure(r, in.input, error_kind::out_of_memory, "out of memory");
  } catch (const std::exception& e) {
    return failure(r, in.input, error_kind::internal, std::string("internal error: ") + e.what());
  }
}

}  // namespace kmq::cli
