// A fixed split of [0, n) into contiguous chunks run on their own threads.
// Results are merged by the caller in chunk order; everything merged is an
// integer (or a max with a fixed tie-break), so the split never shows in a result.
#pragma once
#include <algorithm>
#include <cstddef>
#include <thread>
#include <vector>

namespace kmq::detail {

// Below this many items per thread, starting threads costs more than it saves.
constexpr std::size_t min_items_per_thread = 16384;

inline int resolve_thread_count(int requested) {
  if (requested > 0) return requested;
  const unsigned hardware = std::thread::hardware_concurrency();
  return hardware == 0 ? 1 : static_cast<int>(hardware);
}

inline int chunk_count(int threads, std::size_t n) {
  const std::size_t useful = std::max<std::size_t>(1, n / min_items_per_thread);
  return static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(std::max(threads, 1)), useful));
}

// fn(chunk, begin, end) for each of chunk_count(threads, n) chunks; chunk 0 runs
// on the calling thread.
template <typename Fn>
void parallel_chunks(int threads, std::size_t n, Fn&& fn) {
  const int chunks = chunk_count(threads, n);
  auto bounds = [&](int c) { return n * static_cast<std::size_t>(c) / static_cast<std::size_t>(chunks); };
  if (chunks == 1) {
    fn(0, std::size_t{0}, n);
    return;
  }
  std::vector<std::thread> workers;
  workers.reserve(static_cast<std::size_t>(chunks - 1));
  for (int c = 1; c < chunks; ++c) workers.emplace_back([&, c] { fn(c, bounds(c), bounds(c + 1)); });
  fn(0, bounds(0), bounds(1));
  for (auto& worker : workers) worker.join();
}

}  // namespace kmq::detail
