// Backends made on a thread of their own while the caller goes on with work
// that needs none (a batch decoding its first images): starting a CUDA
// device (driver, context, a stream per backend) takes 100-300 ms, as long
// as decoding a few photos. Every backend of a starter is made on the one
// thread, in index order, so the first pays for the process's one CUDA
// context and the others share it (a stream each).
//
// deferred(i) is a backend that waits for the i-th only when a call needs it;
// run_job() decodes before it calls its backend, so the decode overlaps.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "kmq/backend.hpp"

namespace kmq {

class backend_starter {
 public:
  // make(i, starter) makes the i-th backend, for i = 0 .. count-1 in order, on the starter's thread
  // (the starter is passed for requested() and wait_requested()). Whatever it throws for i is what
  // get(j) rethrows for every j >= i (nothing later is made).
  using factory = std::function<std::unique_ptr<backend>(std::size_t index, const backend_starter& starter)>;

  backend_starter(std::size_t count, factory make);
  // Waits for the thread: a CUDA context cannot be left half-made.
  ~backend_starter();
  backend_starter(const backend_starter&) = delete;
  backend_starter& operator=(const backend_starter&) = delete;

  // Begins making the backends, unless begun already; returns at once. Nothing is made before
  // start() or get(), so a run that needs no backend (every input skipped) starts no device.
  void start();

  // The index-th backend (index < count), after start() if not started: waits until it is made, and
  // rethrows what its making threw.
  backend& get(std::size_t index);

  // A backend that forwards every call to get(index), so it may be handed to run_job() at once.
  // The starter must outlive it.
  std::unique_ptr<backend> deferred(std::size_t index);

  // Whether a deferred backend has had a call: a job needs its backend (get() alone does not count).
  bool requested() const;
  // Waits until requested() or the timeout; true when requested. For tests and their hooks: a
  // factory that waits for a request proves that the jobs run while it has made nothing.
  bool wait_requested(std::chrono::milliseconds timeout) const;

 private:
  friend class deferred_backend;
  backend& request(std::size_t index);  // get(), as a deferred backend's first call
  void make_all();

  const std::size_t count_;
  const factory make_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  bool started_ = false;
  bool requested_ = false;
  std::size_t made_ = 0;              // backends_[0 .. made_) are ready
  std::exception_ptr failure_;        // what making backends_[made_] threw
  std::vector<std::unique_ptr<backend>> backends_;
  std::thread thread_;
};

}  // namespace kmq
