#include "stress/stats.h"

#include <cstdint>

#include "gtest/gtest.h"

namespace tofu::stress {
namespace {

TEST(LatencyHistogram, EmptyIsAllZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.PercentileNanos(0.5), 0u);
  const LatencySummary s = h.Summary();
  EXPECT_EQ(s.count, 0u);
  EXPECT_EQ(s.p99, absl::ZeroDuration());
  EXPECT_EQ(s.max, absl::ZeroDuration());
}

TEST(LatencyHistogram, SmallValuesAreExact) {
  LatencyHistogram h;
  for (uint64_t v = 1; v <= 50; ++v) h.RecordNanos(v);
  EXPECT_EQ(h.PercentileNanos(0.5), 25u);
  EXPECT_EQ(h.PercentileNanos(0.0), 1u);
  EXPECT_EQ(h.PercentileNanos(1.0), 50u);
  EXPECT_EQ(h.min_nanos(), 1u);
  EXPECT_EQ(h.max_nanos(), 50u);
}

TEST(LatencyHistogram, PercentilesOfOneToHundredThousand) {
  LatencyHistogram h;
  for (uint64_t v = 1; v <= 100000; ++v) h.RecordNanos(v * 1000);
  // True values 50 ms, 99 ms, 99.9 ms; buckets are at most 1/64 wide and the
  // reported value is the bucket's upper edge.
  auto near = [](uint64_t got, uint64_t want) {
    return got >= want && got <= want + want / 64;
  };
  EXPECT_TRUE(near(h.PercentileNanos(0.5), 50000000u))
      << h.PercentileNanos(0.5);
  EXPECT_TRUE(near(h.PercentileNanos(0.99), 99000000u))
      << h.PercentileNanos(0.99);
  EXPECT_TRUE(near(h.PercentileNanos(0.999), 99900000u))
      << h.PercentileNanos(0.999);
  EXPECT_EQ(h.PercentileNanos(1.0), 100000000u);  // never above the max
  EXPECT_EQ(h.Summary().max, absl::Milliseconds(100));
}

TEST(LatencyHistogram, PercentileRanksAreExactForRoundCounts) {
  LatencyHistogram h;
  for (uint64_t v = 1; v <= 100; ++v) h.RecordNanos(v);
  EXPECT_EQ(h.PercentileNanos(0.99), 99u);
  EXPECT_EQ(h.PercentileNanos(0.5), 50u);
}

TEST(LatencyHistogram, MergeEqualsRecordingEverything) {
  LatencyHistogram a;
  LatencyHistogram b;
  LatencyHistogram all;
  for (uint64_t v = 0; v < 5000; ++v) {
    const uint64_t value = v * v * 7 + 3;
    (v % 3 == 0 ? a : b).RecordNanos(value);
    all.RecordNanos(value);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min_nanos(), all.min_nanos());
  EXPECT_EQ(a.max_nanos(), all.max_nanos());
  for (double q : {0.0, 0.1, 0.5, 0.9, 0.99, 0.999, 1.0}) {
    EXPECT_EQ(a.PercentileNanos(q), all.PercentileNanos(q)) << q;
  }
}

TEST(LatencyHistogram, HandlesExtremesAndNegativeDurations) {
  LatencyHistogram h;
  h.Record(-absl::Seconds(1));
  h.RecordNanos(UINT64_MAX);
  EXPECT_EQ(h.count(), 2u);
  EXPECT_EQ(h.min_nanos(), 0u);
  EXPECT_EQ(h.PercentileNanos(1.0), UINT64_MAX);
  EXPECT_EQ(h.PercentileNanos(0.5), 0u);
}

}  // namespace
}  // namespace tofu::stress
