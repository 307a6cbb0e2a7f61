// A fixed split of [0, n) into contiguous chunks run on their own threads.
// Results are merged by the caller in chunk order; everything merged is an
// integer (or a max with a fixed tie-break), so the split never shows in a result.
#pragma once
#include <algorithm>
#include <cstddef>
#include <exception>
#include <system_error>
#include <thread>
#include <vector>

#include "kmq/usable_cores.hpp"

namespace kmq::detail {

// Work is counted in colour distances (a few nanoseconds each). Starting and
// joining a thread costs about 35 us, and far more on a busy machine, where
// the new thread waits for a core while the caller waits for it: a thread
// gets at least this much work, or the caller does it all.
constexpr std::size_t min_work_per_thread = std::size_t{1} << 17;
// What an item costs when the caller does not say (a pixel of the metrics,
// a colour of the refinement): 16384 items per thread.
constexpr std::size_t default_item_cost = 8;

inline int resolve_thread_count(int requested) { return requested > 0 ? requested : usable_cores(); }

// item_cost: the distances one item costs (a seeding update 1, a Lloyd
// assignment about k).
inline int chunk_count(int threads, std::size_t n, std::size_t item_cost = default_item_cost) {
  const std::size_t work = n * std::max<std::size_t>(item_cost, 1);
  const std::size_t useful = std::max<std::size_t>(1, work / min_work_per_thread);
  return static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(std::max(threads, 1)), useful));
}

// fn(chunk, begin, end) for each of chunk_count(threads, n, item_cost) chunks;
// chunk 0 runs on the calling thread, and so does every chunk no thread could
// be started for. An exception from any chunk (bad_alloc, an error) reaches
// the caller, the first by chunk order, once every chunk has ended.
template <typename Fn>
void parallel_chunks(int threads, std::size_t n, Fn&& fn, std::size_t item_cost = default_item_cost) {
  const int chunks = chunk_count(threads, n, item_cost);
  auto bounds = [&](int c) { return n * static_cast<std::size_t>(c) / static_cast<std::size_t>(chunks); };
  if (chunks == 1) {
    fn(0, std::size_t{0}, n);
    return;
  }
  std::vector<std::exception_ptr> failures(static_cast<std::size_t>(chunks));
  auto run = [&](int c) noexcept {
    try {
      fn(c, bounds(c), bounds(c + 1));
    } catch (...) {
      failures[static_cast<std::size_t>(c)] = std::current_exception();
    }
  };
  std::vector<std::thread> workers;
  workers.reserve(static_cast<std::size_t>(chunks - 1));
  for (int c = 1; c < chunks; ++c) {
    try {
      workers.emplace_back(run, c);
    } catch (const std::system_error&) {
      break;  // no more threads to be had
    }
  }
  run(0);
  for (int c = static_cast<int>(workers.size()) + 1; c < chunks; ++c) run(c);
  for (auto& worker : workers) worker.join();
  for (const std::exception_ptr& failure : failures) {
    if (failure) std::rethrow_exception(failure);
  }
}

}  // namespace kmq::detail
