#include "image_store.hpp"

#include <algorithm>
#include <vector>

namespace kmq::serve {

std::uint64_t prepared_image::memory() const {
  const std::uint64_t pixels = std::uint64_t{image.width} * image.height;
  std::uint64_t bytes = (upload ? upload->size() : 0) + 8 * pixels + 32 * std::uint64_t{colors.distinct_colors()};
  // Read without the busy lock: an estimate, and the pointer is swapped whole.
  const std::shared_ptr<const full_result> result = std::atomic_load(&last);
  if (result) bytes += result->outcome.png.size() + result->outcome.labels.indices.size();
  return bytes;
}

namespace {
// Pages closed recently enough for an upload of theirs to be still on its
// way (one 12 MP photo takes a second or two to prepare); a page is a few
// bytes of name.
constexpr std::size_t closed_pages_kept = 1024;
}  // namespace

bool image_store::add(std::shared_ptr<prepared_image> image, const std::string& instance) {
  const std::lock_guard<std::mutex> lock(mutex_);
  if (!image->page.empty() && (earlier_load_locked(image->page, instance) ||
                               std::find(closed_pages_.begin(), closed_pages_.end(), image->page) != closed_pages_.end())) {
    image->gone = true;
    return false;
  }
  if (!image->page.empty() && !instance.empty()) instances_[image->page] = instance;
  const std::string id = image->id;
  images_.push_front(std::move(image));
  trim_locked(id);
  return true;
}

std::size_t image_store::close_page(const std::string& page, const std::string& instance,
                                    std::chrono::steady_clock::duration grace) {
  const std::lock_guard<std::mutex> lock(mutex_);
  if (earlier_load_locked(page, instance)) return 0;
  if (std::find(closed_pages_.begin(), closed_pages_.end(), page) == closed_pages_.end()) {
    closed_pages_.push_back(page);
    if (closed_pages_.size() > closed_pages_kept) closed_pages_.pop_front();
  }
  if (grace <= std::chrono::steady_clock::duration::zero()) return remove_page_locked(page);
  const auto when = std::chrono::steady_clock::now() + grace;
  const auto it = std::find_if(closing_.begin(), closing_.end(), [&](const auto& c) { return c.first == page; });
  if (it != closing_.end()) it->second = when;
  else closing_.emplace_back(page, when);
  return 0;
}

std::vector<std::shared_ptr<prepared_image>> image_store::reopen_page(const std::string& page,
                                                                      const std::string& instance) {
  const std::lock_guard<std::mutex> lock(mutex_);
  if (!instance.empty()) instances_[page] = instance;
  closed_pages_.erase(std::remove(closed_pages_.begin(), closed_pages_.end(), page), closed_pages_.end());
  closing_.erase(std::remove_if(closing_.begin(), closing_.end(), [&](const auto& c) { return c.first == page; }),
                 closing_.end());
  std::vector<std::shared_ptr<prepared_image>> out;
  for (const auto& image : images_) {
    if (image->page == page) out.push_back(image);
  }
  // Ids begin with the upload's number (hex, fixed width): their order is the uploads'.
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a->id < b->id; });
  return out;
}

std::size_t image_store::remove_page_locked(const std::string& page) {
  instances_.erase(page);
  std::size_t removed = 0;
  for (auto it = images_.begin(); it != images_.end();) {
    if ((*it)->page != page) {
      ++it;
      continue;
    }
    (*it)->gone = true;
    evicted_.push_back((*it)->id);
    it = images_.erase(it);
    ++removed;
  }
  return removed;
}

bool image_store::earlier_load_locked(const std::string& page, const std::string& instance) const {
  const auto latest = instances_.find(page);
  return !instance.empty() && latest != instances_.end() && latest->second != instance;
}

void image_store::expire() {
  const std::lock_guard<std::mutex> lock(mutex_);
  expire_locked();
}

void image_store::expire_locked() {
  const auto now = std::chrono::steady_clock::now();
  for (auto it = closing_.begin(); it != closing_.end();) {
    if (it->second > now) {
      ++it;
      continue;
    }
    remove_page_locked(it->first);
    it = closing_.erase(it);
  }
}

std::shared_ptr<prepared_image> image_store::find(const std::string& id) {
  const std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = images_.begin(); it != images_.end(); ++it) {
    if ((*it)->id == id) {
      images_.splice(images_.begin(), images_, it);
      return images_.front();
    }
  }
  return nullptr;
}

void image_store::trim() {
  const std::lock_guard<std::mutex> lock(mutex_);
  trim_locked(images_.empty() ? std::string() : images_.front()->id);
}

bool image_store::remove(const std::string& id) {
  const std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = images_.begin(); it != images_.end(); ++it) {
    if ((*it)->id == id) {
      (*it)->gone = true;
      images_.erase(it);
      evicted_.push_back(id);
      return true;
    }
  }
  return false;
}

std::uint64_t image_store::memory() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  std::uint64_t total = 0;
  for (const auto& image : images_) total += image->memory();
  return total;
}

std::size_t image_store::size() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return images_.size();
}

std::vector<std::string> image_store::take_evicted() {
  const std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> out;
  out.swap(evicted_);
  return out;
}

// The newest image stays even when it alone exceeds the bound (the upload
// checks that first); everything older goes, oldest first, until it fits.
// Each size is read once: memory() changes when a result lands (without this
// lock), and a second, larger reading subtracted from the total would wrap it.
void image_store::trim_locked(const std::string& keep) {
  std::vector<std::uint64_t> sizes;
  std::uint64_t total = 0;
  for (const auto& image : images_) {
    sizes.push_back(image->memory());
    total += sizes.back();
  }
  while (total > bound_ && images_.size() > 1) {
    auto oldest = std::prev(images_.end());
    if ((*oldest)->id == keep) break;
    total -= sizes.back();
    sizes.pop_back();
    evicted_.push_back((*oldest)->id);
    (*oldest)->gone = true;
    images_.erase(oldest);
  }
}

}  // namespace kmq::serve
