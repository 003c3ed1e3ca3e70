#include "stress/stats.h"

#include <algorithm>
#include <cmath>

#include "absl/numeric/bits.h"

namespace tofu::stress {
namespace {

// 2^kPrecisionBits buckets per power of two.
constexpr int kPrecisionBits = 6;
constexpr uint64_t kSubBuckets = uint64_t{1} << kPrecisionBits;
// Exact buckets 0..63, then 64 per power of two from 2^6 to 2^63.
constexpr size_t kBucketCount =
    kSubBuckets + (64 - kPrecisionBits) * kSubBuckets;

size_t BucketOf(uint64_t v) {
  if (v < kSubBuckets) return static_cast<size_t>(v);
  const int exponent = 63 - absl::countl_zero(v);  // >= kPrecisionBits
  const int shift = exponent - kPrecisionBits;
  const uint64_t sub = (v >> shift) & (kSubBuckets - 1);
  return static_cast<size_t>(kSubBuckets +
                             static_cast<uint64_t>(shift) * kSubBuckets + sub);
}

// The largest value that falls into `bucket`.
uint64_t UpperEdge(size_t bucket) {
  if (bucket < kSubBuckets) return bucket;
  const uint64_t shift = (bucket - kSubBuckets) / kSubBuckets;
  const uint64_t sub = (bucket - kSubBuckets) % kSubBuckets;
  const uint64_t lower = (kSubBuckets + sub) << shift;
  return lower + ((uint64_t{1} << shift) - 1);
}

}  // namespace

LatencyHistogram::LatencyHistogram() : buckets_(kBucketCount, 0) {}

uint64_t LatencyHistogram::ToNanos(absl::Duration d) {
  const int64_t ns = absl::ToInt64Nanoseconds(d);
  return ns < 0 ? 0 : static_cast<uint64_t>(ns);
}

void LatencyHistogram::RecordNanos(uint64_t nanos) {
  ++buckets_[BucketOf(nanos)];
  min_ = count_ == 0 ? nanos : std::min(min_, nanos);
  max_ = std::max(max_, nanos);
  ++count_;
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  if (other.count_ == 0) return;
  for (size_t i = 0; i < kBucketCount; ++i) buckets_[i] += other.buckets_[i];
  min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  count_ += other.count_;
}

uint64_t LatencyHistogram::PercentileNanos(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // The epsilon keeps 0.99 * 100 at rank 99 despite 0.99 not being exact.
  const uint64_t rank = std::max<uint64_t>(
      1,
      static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_) - 1e-9)));
  uint64_t seen = 0;
  for (size_t i = 0; i < kBucketCount; ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::min(UpperEdge(i), max_);
  }
  return max_;
}

LatencySummary LatencyHistogram::Summary() const {
  auto at = [this](double q) {
    return absl::Nanoseconds(static_cast<int64_t>(PercentileNanos(q)));
  };
  return LatencySummary{count_, at(0.50), at(0.99), at(0.999),
                        absl::Nanoseconds(static_cast<int64_t>(max_))};
}

}  // namespace tofu::stress
