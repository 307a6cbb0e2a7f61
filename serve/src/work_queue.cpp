#include "work_queue.hpp"

#include <malloc.h>

#include <algorithm>
#include <exception>
#include <future>

namespace kmq::serve {

struct work_queue::item {
  std::string what, image;
  std::uint64_t seq = 0;
  task work;
  std::promise<void> done;
};

work_queue::work_queue(int workers, int capacity, std::function<void(const std::string&)> before_work)
    : before_work_(std::move(before_work)), capacity_(static_cast<std::size_t>(capacity < 0 ? 0 : capacity)) {
  for (int i = 0; i < (workers < 1 ? 1 : workers); ++i) workers_.emplace_back([this] { work_loop(); });
}

work_queue::~work_queue() {
  stop();
  for (std::thread& t : workers_) t.join();
}

void work_queue::stop() {
  std::deque<std::shared_ptr<item>> left;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    left.swap(waiting_);
  }
  wake_.notify_all();
  for (auto& it : left) it->done.set_exception(std::make_exception_ptr(stopping_error()));
}

bool work_queue::is_superseded(const item& it) const {
  if (it.seq == 0) return false;
  const auto found = newest_.find(it.image);
  return found != newest_.end() && found->second > it.seq;
}

void work_queue::run(const std::string& what, const std::string& image, std::uint64_t seq, task work) {
  auto it = std::make_shared<item>();
  it->what = what;
  it->image = image;
  it->seq = seq;
  it->work = std::move(work);
  std::future<void> result = it->done.get_future();
  std::vector<std::shared_ptr<item>> dropped;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) throw stopping_error();
    // Refused as busy, a request must not supersede anything: newest_ and the
    // drops are committed only once it has its place. Older items of this
    // image still waiting will never be wanted, so their places count as free.
    if (seq > 0) {
      const auto found = newest_.find(image);
      if (found != newest_.end() && seq < found->second) throw superseded_error();
    }
    const auto older = [&](const std::shared_ptr<item>& w) { return seq > 0 && w->seq != 0 && w->image == image && w->seq < seq; };
    const auto freed = static_cast<std::size_t>(std::count_if(waiting_.begin(), waiting_.end(), older));
    if (waiting_.size() - freed >= capacity_) throw busy_error();
    if (seq > 0) {
      newest_[image] = seq;
      for (auto w = waiting_.begin(); w != waiting_.end();) {
        if (older(*w)) {
          dropped.push_back(*w);
          w = waiting_.erase(w);
        } else {
          ++w;
        }
      }
    }
    waiting_.push_back(it);
  }
  for (auto& d : dropped) d->done.set_exception(std::make_exception_ptr(superseded_error()));
  wake_.notify_one();
  result.get();
}

// Once nothing waits, the pages a job freed go back to the system (glibc
// keeps them in its arenas otherwise: kmq-serve held 280-300 MiB with one
// 12 MP image of 115 MB kept; 165 with this and main.cpp's arena bound).
// Not between queued jobs, where the next would fault them in again.
void work_queue::release_freed_memory() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (!waiting_.empty()) return;
  }
#ifdef M_TRIM_THRESHOLD  // glibc's
  ::malloc_trim(0);
#endif
}

void work_queue::work_loop() {
  for (;;) {
    std::shared_ptr<item> it;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !waiting_.empty(); });
      if (waiting_.empty()) return;  // stopping
      it = waiting_.front();
      waiting_.pop_front();
    }
    try {
      if (before_work_) before_work_(it->what);
      const still_wanted wanted = [this, it] {
        const std::lock_guard<std::mutex> lock(mutex_);
        return !stopping_ && !is_superseded(*it);
      };
      if (!wanted()) throw superseded_error();
      it->work(wanted);
      it->done.set_value();
    } catch (...) {
      // Work told to stop by stop() ends in a cancellation (or whatever its
      // stage threw next): the answer is why it stopped.
      bool stopped;
      {
        const std::lock_guard<std::mutex> lock(mutex_);
        stopped = stopping_;
      }
      it->done.set_exception(stopped ? std::make_exception_ptr(stopping_error()) : std::current_exception());
    }
    release_freed_memory();
  }
}

std::size_t work_queue::waiting() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return waiting_.size();
}

void work_queue::forget(const std::string& image) {
  const std::lock_guard<std::mutex> lock(mutex_);
  newest_.erase(image);
}

}  // namespace kmq::serve
