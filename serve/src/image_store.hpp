// The prepared images of the page: each upload decoded and its colours
// counted once, kept while the page works with it. An LRU with a memory bound
// (--cache-mb): adding or growing an image evicts the least recently used
// others until the estimate fits. Nothing is on disk; an evicted image is gone
// (the page gets 404 and uploads it again).
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kmq/backend.hpp"
#include "kmq/io/image_decoder.hpp"
#include "kmq/pipeline/image_job.hpp"
#include "kmq/pipeline/job_outcome.hpp"
#include "kmq/quantize.hpp"

namespace kmq::serve {

// A full result: what run_job gave for one setting (the PNG, the statistics),
// kept for the downloads of that setting. outcome.decoded is dropped (the
// image's own pixels stand in), outcome.labels kept.
struct full_result {
  std::string key;
  image_job job;
  job_outcome outcome;
};

// An elbow curve of one image, for one seed.
struct elbow_data {
  std::uint64_t seed = 0;
  std::vector<elbow_point> points;
  double seconds = 0.0;  // the colours counted and every palette built
};

struct prepared_image {
  std::string id, name;
  std::string page;  // the page that uploaded it (page=), or empty: closing that page removes it
  std::shared_ptr<const std::vector<std::uint8_t>> upload;  // the file's bytes: downloads re-run kmq compress's job on them
  io::decoded_image image;                                  // transparent pixels collapsed
  std::unique_ptr<backend> engine;                          // its own CPU backend, holding the colours
  color_set colors;                                         // analysed on engine
  color_set gpu_colors;                                     // analysed on the shared GPU, when there is one
  io::decode_limits limits;                                 // the server's, for full results
  double prepare_seconds = 0.0;

  std::atomic<bool> gone{false};  // removed or evicted: work on it may stop
  std::mutex busy;  // one job at a time on engine and on the fields below
  std::shared_ptr<const full_result> last;  // the latest full result
  std::shared_ptr<const elbow_data> elbow;  // the latest elbow curve (atomic_load/store: built outside busy)

  // Bytes held: upload, pixels (4 B each), pixel-to-colour map (4 B each),
  // colours on the host and in the backend (~32 B each), and the last result
  // (its PNG and 1 B per pixel of labels).
  std::uint64_t memory() const;
};

class image_store {
 public:
  explicit image_store(std::uint64_t bound_bytes) : bound_(bound_bytes) {}

  // A page is named by the tab (kept over reloads); each load of it is an
  // instance. Requests that name an instance other than the page's latest
  // (an earlier load's close or upload arriving late) are ignored or refused;
  // an empty instance is never checked.

  // Adds (most recent), then evicts the least recently used others beyond
  // the bound. False, and nothing kept, when the image's page was closed
  // meanwhile (its upload finished after the page had gone), or when a later
  // load of the page has taken it over since.
  bool add(std::shared_ptr<prepared_image> image, const std::string& instance = "");
  // The page has gone: its images are removed (after grace, unless the page
  // is reopened first), and any it uploads later (still on their way) are
  // refused by add(). Returns how many were removed now. Ignored (0) when
  // instance is an earlier load's.
  std::size_t close_page(const std::string& page, const std::string& instance,
                         std::chrono::steady_clock::duration grace = {});
  // The page is back (reloaded, or Back to it), as this instance: its close
  // is undone, its uploads are taken again. Its images still held, oldest
  // upload first.
  std::vector<std::shared_ptr<prepared_image>> reopen_page(const std::string& page, const std::string& instance);
  // Removes the images of closed pages whose grace has passed (the API
  // calls it before every request).
  void expire();
  // The image, marked most recently used; nullptr when unknown or evicted.
  std::shared_ptr<prepared_image> find(const std::string& id);
  // After an image grew (a result kept): evict others beyond the bound.
  void trim();
  bool remove(const std::string& id);
  std::uint64_t memory() const;
  std::uint64_t bound() const { return bound_; }
  std::size_t size() const;  // images held
  // Ids evicted since last asked (their sequence numbers can go).
  std::vector<std::string> take_evicted();

 private:
  void trim_locked(const std::string& keep);
  void expire_locked();
  // Whether instance names a load of the page earlier than its latest.
  bool earlier_load_locked(const std::string& page, const std::string& instance) const;
  std::size_t remove_page_locked(const std::string& page);
  std::uint64_t bound_;
  mutable std::mutex mutex_;
  std::list<std::shared_ptr<prepared_image>> images_;  // front: most recently used
  std::vector<std::string> evicted_;
  std::deque<std::string> closed_pages_;  // the latest closed_pages_kept, oldest first
  std::vector<std::pair<std::string, std::chrono::steady_clock::time_point>> closing_;  // page, when its images go
  std::map<std::string, std::string> instances_;  // page -> its latest load, while it holds images or is open
};

}  // namespace kmq::serve
