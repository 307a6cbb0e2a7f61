#include "kmq/backend_starter.hpp"

#include <utility>

#include "deferred_backend.hpp"
#include "kmq/error.hpp"

namespace kmq {

backend_starter::backend_starter(std::size_t count, factory make)
    : count_(count), make_(std::move(make)), backends_(count) {}

backend_starter::~backend_starter() {
  if (thread_.joinable()) thread_.join();
}

void backend_starter::start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (started_) return;
  started_ = true;
  thread_ = std::thread([this] { make_all(); });
}

void backend_starter::make_all() {
  for (std::size_t i = 0; i < count_; ++i) {
    std::unique_ptr<backend> made;
    std::exception_ptr failed;
    try {
      made = make_(i, *this);
      if (!made) throw error(error_kind::internal, "backend_starter: the factory made no backend");
    } catch (...) {
      failed = std::current_exception();
    }
    std::lock_guard<std::mutex> lock(mutex_);
    if (failed) {
      failure_ = failed;
      changed_.notify_all();
      return;
    }
    backends_[i] = std::move(made);
    made_ = i + 1;
    changed_.notify_all();
  }
}

backend& backend_starter::get(std::size_t index) {
  if (index >= count_) throw error(error_kind::internal, "backend_starter: no backend " + std::to_string(index));
  start();
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return made_ > index || failure_; });
  if (made_ > index) return *backends_[index];
  std::rethrow_exception(failure_);
}

backend& backend_starter::request(std::size_t index) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    requested_ = true;
    changed_.notify_all();
  }
  return get(index);
}

bool backend_starter::requested() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requested_;
}

bool backend_starter::wait_requested(std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return requested_; });
}

std::unique_ptr<backend> backend_starter::deferred(std::size_t index) {
  return std::make_unique<deferred_backend>(*this, index);
}

}  // namespace kmq
