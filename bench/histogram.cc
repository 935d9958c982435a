#include "bench/histogram.h"

#include <algorithm>
#include <cmath>

namespace authd::bench {

LatencyHistogram::LatencyHistogram() : counts_(kBuckets, 0) {}

int LatencyHistogram::BucketOf(uint64_t v) {
  if (v < kSubBuckets) return static_cast<int>(v);
  const int e = 63 - __builtin_clzll(v);  // floor(log2 v) >= kSubBits
  const int shift = e - kSubBits;
  return (shift + 1) * kSubBuckets + static_cast<int>((v >> shift) - kSubBuckets);
}

uint64_t LatencyHistogram::BucketHighest(int index) {
  const int block = index >> kSubBits;
  if (block == 0) return static_cast<uint64_t>(index);
  const int shift = block - 1;
  const uint64_t low = static_cast<uint64_t>((index & (kSubBuckets - 1)) + kSubBuckets) << shift;
  return low + ((uint64_t{1} << shift) - 1);
}

void LatencyHistogram::Record(uint64_t v) {
  ++counts_[BucketOf(v)];
  ++count_;
  sum_ += v;
  min_ = std::min(min_, v);
  max_ = std::max(max_, v);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (int i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void LatencyHistogram::Clear() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = 0;
  sum_ = 0;
  min_ = UINT64_MAX;
  max_ = 0;
}

uint64_t LatencyHistogram::Percentile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // The rank-th smallest value, 1-based (nearest-rank definition).
  uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(BucketHighest(i), max_);
  }
  return max_;
}

}  // namespace authd::bench
