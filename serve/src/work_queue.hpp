// The bounded work of the server: N workers, at most M items waiting, then
// "busy". Items of one image carry the page's sequence number: a newer one
// drops the older ones still waiting (answered "superseded") and tells a
// running one to stop through its still_wanted() check, which the job's
// observer polls at every stage and Lloyd pass.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace kmq::serve {

struct busy_error : std::runtime_error {
  busy_error() : std::runtime_error("busy: every worker and queue place is taken, try again") {}
};
struct superseded_error : std::runtime_error {
  superseded_error() : std::runtime_error("superseded by a newer request for this image") {}
};
// The queue was stopped (the server is shutting down): neither busy (trying
// again will not help) nor superseded (no newer request won).
struct stopping_error : std::runtime_error {
  stopping_error() : std::runtime_error("the server is stopping") {}
};

class work_queue {
 public:
  using still_wanted = std::function<bool()>;
  using task = std::function<void(const still_wanted&)>;

  work_queue(int workers, int capacity, std::function<void(const std::string&)> before_work);
  ~work_queue();

  // Runs work on a worker and waits for it; rethrows what it threw.
  // image + seq > 0: the item is superseded by any later item of the same
  // image with a higher seq. Throws busy_error when the queue is full,
  // superseded_error when a newer request won, and stopping_error when the
  // queue was stopped before or while the work ran (whatever the work threw).
  void run(const std::string& what, const std::string& image, std::uint64_t seq, task work);

  // Refuses new work, answers the waiting items stopping_error, and tells
  // running ones to stop (still_wanted() turns false); a running one that
  // then throws is answered stopping_error too. Idempotent; the destructor
  // calls it.
  void stop();

  std::size_t waiting() const;
  void forget(const std::string& image);  // the image is gone: drop its sequence number

 private:
  struct item;
  void work_loop();
  void release_freed_memory();  // malloc_trim once nothing waits
  bool is_superseded(const item& it) const;  // with mutex_ held

  std::function<void(const std::string&)> before_work_;
  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<item>> waiting_;
  std::map<std::string, std::uint64_t> newest_;  // image -> the highest seq seen
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace kmq::serve
