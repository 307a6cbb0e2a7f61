// Progress of one job, reported as it happens, with the power to stop it (as
// libimagequant's progress callback). Every callback runs on the thread that
// runs the job; returning false cancels it: the job then throws
// kmq::error(error_kind::cancelled) at the next stage or pass, and writes nothing.
#pragma once
#include <functional>
#include <string>

#include "kmq/iteration_stats.hpp"

namespace kmq {

enum class job_stage { decode, histogram, seed, iterate, map, metrics, encode, write };

const char* stage_name(job_stage stage) noexcept;  // "decode", "histogram", ...

class observer {
 public:
  virtual ~observer() = default;
  // A stage begins.
  virtual bool on_stage(job_stage /*stage*/) { return true; }
  // A Lloyd pass ended.
  virtual bool on_iteration(const iteration_stats& /*pass*/) { return true; }
  // Something the user should know that is not an error, e.g. a GPU that ran
  // out of memory handed the image to the CPU.
  virtual void on_notice(const std::string& /*text*/) {}
};

// Cancels its job at the next stage or Lloyd pass once `go_on` answers false
// (a batch that is stopping, a preview a newer request has replaced).
class predicate_observer : public observer {
 public:
  explicit predicate_observer(std::function<bool()> go_on) : go_on_(std::move(go_on)) {}
  bool on_stage(job_stage) override { return go_on_(); }
  bool on_iteration(const iteration_stats&) override { return go_on_(); }

 private:
  std::function<bool()> go_on_;
};

// Calls observer->on_stage(stage) when there is an observer; throws
// error(cancelled) when it says stop.
void report_stage(observer* watcher, job_stage stage);
void report_iteration(observer* watcher, const iteration_stats& pass);

}  // namespace kmq
