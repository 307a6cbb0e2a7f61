// parallel_chunks: every item once, in contiguous chunks fixed by (threads, n,
// cost); cheap passes stay on the calling thread; an exception from any chunk
// reaches the caller instead of ending the process.
#include <gtest/gtest.h>

#if defined(__linux__)
#include <sched.h>
#endif

#include <atomic>
#include <mutex>
#include <new>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "kmq/usable_cores.hpp"
#include "parallel.hpp"

namespace kmq::detail {
namespace {

TEST(ParallelChunks, EveryItemOnceInContiguousChunks) {
  for (const int threads : {1, 2, 3, 8}) {
    for (const std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{1000}, std::size_t{300000}}) {
      for (const std::size_t cost : {std::size_t{1}, std::size_t{8}, std::size_t{256}}) {
        std::vector<int> visits(n, 0);
        std::mutex mutex;
        std::vector<std::pair<std::size_t, std::size_t>> ranges;
        parallel_chunks(
            threads, n,
            [&](int chunk, std::size_t begin, std::size_t end) {
              for (std::size_t i = begin; i < end; ++i) ++visits[i];
              std::lock_guard<std::mutex> lock(mutex);
              ranges.emplace_back(begin, end);
              EXPECT_LT(chunk, chunk_count(threads, n, cost));
            },
            cost);
        for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(visits[i], 1) << "item " << i;
        EXPECT_EQ(static_cast<int>(ranges.size()), chunk_count(threads, n, cost));
      }
    }
  }
}

TEST(ParallelChunks, CheapItemsStayOnTheCallingThread) {
  // 100,000 seeding updates (one distance each) are less work than starting a thread.
  EXPECT_EQ(chunk_count(8, 100000, 1), 1);
  // The same points against 256 centroids are worth every thread asked for.
  EXPECT_EQ(chunk_count(8, 100000, 256), 8);
  // Unchanged for callers that name no cost: 16,384 items a thread.
  EXPECT_EQ(chunk_count(8, 16384 * 3, default_item_cost), 3);
  const std::thread::id caller = std::this_thread::get_id();
  parallel_chunks(
      8, 100000, [&](int, std::size_t, std::size_t) { EXPECT_EQ(std::this_thread::get_id(), caller); }, 1);
}

TEST(ParallelChunks, AnExceptionInAWorkerReachesTheCallerAfterEveryChunkEnded) {
  const int threads = 4;
  const std::size_t n = 16384 * 4;
  ASSERT_EQ(chunk_count(threads, n), 4);
  std::atomic<int> finished{0};
  EXPECT_THROW(parallel_chunks(threads, n,
                               [&](int chunk, std::size_t, std::size_t) {
                                 if (chunk == 2) throw std::bad_alloc();
                                 ++finished;
                               }),
               std::bad_alloc);
  EXPECT_EQ(finished.load(), 3);
  // The first failure by chunk order wins, whichever thread ran it.
  try {
    parallel_chunks(threads, n, [&](int chunk, std::size_t, std::size_t) {
      if (chunk >= 1) throw std::runtime_error("chunk " + std::to_string(chunk));
    });
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "chunk 1");
  }
  EXPECT_THROW(parallel_chunks(threads, n, [&](int chunk, std::size_t, std::size_t) {
                 if (chunk == 0) throw std::logic_error("on the caller");
               }),
               std::logic_error);
}

TEST(UsableCores, FollowTheAffinityMaskNotTheMachine) {
#if defined(__linux__)
  cpu_set_t all;
  ASSERT_EQ(::sched_getaffinity(0, sizeof all, &all), 0);
  EXPECT_EQ(kmq::usable_cores(), CPU_COUNT(&all));
  // Pinned to one core (as `taskset -c N` or a one-CPU container would),
  // "every core" is one thread.
  int first = 0;
  while (!CPU_ISSET(first, &all)) ++first;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(first, &one);
  ASSERT_EQ(::sched_setaffinity(0, sizeof one, &one), 0);
  const int pinned = kmq::usable_cores();
  const int resolved = resolve_thread_count(0);
  ASSERT_EQ(::sched_setaffinity(0, sizeof all, &all), 0);
  EXPECT_EQ(pinned, 1);
  EXPECT_EQ(resolved, 1);
  EXPECT_EQ(resolve_thread_count(3), 3);
#else
  GTEST_SKIP() << "the affinity mask is Linux's";
#endif
}

}  // namespace
}  // namespace kmq::detail
