#include "bench/histogram.h"

#include <cstdint>

#include "gtest/gtest.h"

namespace authd::bench {
namespace {

TEST(LatencyHistogramTest, SmallValuesAreExact) {
  for (uint64_t v = 0; v < 256; ++v) {
    EXPECT_EQ(LatencyHistogram::BucketHighest(LatencyHistogram::BucketOf(v)), v);
  }
}

TEST(LatencyHistogramTest, BucketsAreContiguousAndWithinOnePercent) {
  uint64_t previous_highest = LatencyHistogram::BucketHighest(0);
  for (int i = 1; i < LatencyHistogram::kBuckets; ++i) {
    const uint64_t highest = LatencyHistogram::BucketHighest(i);
    const uint64_t lowest = previous_highest + 1;
    ASSERT_GT(highest, previous_highest) << i;
    EXPECT_EQ(LatencyHistogram::BucketOf(lowest), i);
    EXPECT_EQ(LatencyHistogram::BucketOf(highest), i);
    EXPECT_LE(static_cast<double>(highest - lowest), lowest / 128.0 + 1) << i;
    previous_highest = highest;
  }
  EXPECT_EQ(LatencyHistogram::BucketOf(UINT64_MAX), LatencyHistogram::kBuckets - 1);
}

TEST(LatencyHistogramTest, PercentilesOfAUniformRun) {
  LatencyHistogram h;
  for (uint64_t v = 1; v <= 100000; ++v) h.Record(v * 1000);  // 1 us .. 100 ms
  EXPECT_EQ(h.count(), 100000u);
  EXPECT_EQ(h.min(), 1000u);
  EXPECT_EQ(h.max(), 100000000u);
  EXPECT_NEAR(h.mean(), 50000500.0, 1.0);
  EXPECT_NEAR(static_cast<double>(h.Percentile(0.5)), 50e6, 50e6 / 128);
  EXPECT_NEAR(static_cast<double>(h.Percentile(0.99)), 99e6, 99e6 / 128);
  EXPECT_NEAR(static_cast<double>(h.Percentile(0.999)), 99.9e6, 99.9e6 / 128);
  EXPECT_GE(h.Percentile(0.5), 50000000u);  // never below the true value
  EXPECT_EQ(h.Percentile(1.0), h.max());
}

TEST(LatencyHistogramTest, MergeEqualsRecordingEverythingInOne) {
  LatencyHistogram a, b, all;
  for (uint64_t v = 0; v < 5000; ++v) {
    (v % 3 == 0 ? a : b).Record(v * 37);
    all.Record(v * 37);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  for (double q : {0.0, 0.5, 0.9, 0.99, 0.999, 1.0}) EXPECT_EQ(a.Percentile(q), all.Percentile(q));
}

TEST(LatencyHistogramTest, EmptyReportsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.Percentile(0.99), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
}

}  // namespace
}  // namespace authd::bench
