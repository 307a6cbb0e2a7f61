#include <gtest/gtest.h>

#include <set>

#include "kmq/random.hpp"

namespace kmq {
namespace {

TEST(SeededRandom, MatchesTheSplitMix64ReferenceSequence) {
  // First outputs of SplitMix64 seeded with 0 (Vigna's reference splitmix64.c).
  seeded_random random(0);
  EXPECT_EQ(random.next(), 0xe220a8397b1dcdafull);
  EXPECT_EQ(random.next(), 0x6e789e6aa1b965f4ull);
  EXPECT_EQ(random.next(), 0x06c45d188009454full);
}

TEST(SeededRandom, SameSeedSameDrawsOtherSeedOtherDraws) {
  seeded_random a(42), b(42), c(43);
  for (int i = 0; i < 100; ++i) {
    const auto x = a.next();
    EXPECT_EQ(x, b.next());
    EXPECT_NE(x, c.next());
  }
}

TEST(SeededRandom, BelowStaysInRangeAndReachesEveryValue) {
  seeded_random random(7);
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 2000; ++i) {
    const auto v = random.below(10);
    ASSERT_LT(v, 10u);
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 10u);
  EXPECT_EQ(random.below(1), 0u);
}

TEST(SeededRandom, BelowIsNotBiasedTowardsSmallValues) {
  // bound just over 2^63: plain modulo would return values < 2^63 - 1 twice as often.
  const std::uint64_t bound = (1ull << 63) + (1ull << 62);
  seeded_random random(3);
  int low = 0;
  const int draws = 20000;
  for (int i = 0; i < draws; ++i) low += random.below(bound) < (1ull << 62) ? 1 : 0;
  // Unbiased: P(low) = 1/3.
  EXPECT_NEAR(static_cast<double>(low) / draws, 1.0 / 3.0, 0.02);
}

TEST(SeededRandom, StateResumesTheSequence) {
  // The CUDA seeding loop carries the generator to the device as its state.
  seeded_random original(99);
  for (int i = 0; i < 5; ++i) original.next();
  seeded_random resumed(original.state());
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(original.below(1000003 + static_cast<std::uint64_t>(i)), resumed.below(1000003 + static_cast<std::uint64_t>(i)));
  }
}

}  // namespace
}  // namespace kmq
