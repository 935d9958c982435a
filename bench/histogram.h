// LatencyHistogram: a log-linear histogram of nanosecond values, HDR-style. Values below 128 are
// exact; above, every power of two is split into 128 equal sub-buckets, so a reported percentile is
// at most 1/128 (< 0.8%) above the true value. Covers 0 .. 2^64-1 ns in 7,424 counters (58 KiB).
//
//   index = v                                      for v < 128
//   index = (e - 6) * 128 + (v >> (e - 7)) - 128   for v >= 128, e = floor(log2 v)
//
// Percentiles report the highest value of the bucket holding the rank (conservative, as HdrHistogram's
// "highest equivalent value"); count, min, max and the mean are exact. Not thread-safe: one per
// thread or per in-flight slot, merged at the end.
#ifndef AUTHD_BENCH_HISTOGRAM_H_
#define AUTHD_BENCH_HISTOGRAM_H_

#include <cstdint>
#include <vector>

namespace authd::bench {

class LatencyHistogram {
 public:
  static constexpr int kSubBits = 7;
  static constexpr int kSubBuckets = 1 << kSubBits;           // 128
  static constexpr int kBuckets = (64 - kSubBits + 1) * kSubBuckets;  // 7,424

  LatencyHistogram();

  void Record(uint64_t value_ns);
  void Merge(const LatencyHistogram& other);
  void Clear();

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ == 0 ? 0 : min_; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_) / count_; }

  // The value at quantile `q` in [0, 1] (0.5 = median, 0.999 = p99.9); 0 when empty. Never above
  // max().
  uint64_t Percentile(double q) const;

  // The bucket of `value_ns` and the highest value that bucket holds (exposed for tests).
  static int BucketOf(uint64_t value_ns);
  static uint64_t BucketHighest(int index);

 private:
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
  // 2^64 ns is 584 years: a sum of bench latencies never overflows.
  uint64_t sum_ = 0;
};

}  // namespace authd::bench

#endif  // AUTHD_BENCH_HISTOGRAM_H_
