#ifndef TOFU_STRESS_STATS_H_
#define TOFU_STRESS_STATS_H_

// Latency statistics for the stress sweep: a fixed-size log-linear histogram
// whose percentiles are within 1/64 (1.6%) of the true value, so a million
// samples cost no more memory than ten.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/time/time.h"

namespace tofu::stress {

// What a report shows of a histogram. All zero for an empty one.
struct LatencySummary {
  uint64_t count = 0;
  absl::Duration p50;
  absl::Duration p99;
  absl::Duration p999;
  absl::Duration max;
};

// Durations in whole nanoseconds. Values below 64 ns are kept exactly; above,
// each power of two is split into 64 equal buckets. Not thread-safe: one per
// thread, merged afterwards.
class LatencyHistogram {
 public:
  LatencyHistogram();

  // Negative durations count as 0.
  void Record(absl::Duration d) { RecordNanos(ToNanos(d)); }
  void RecordNanos(uint64_t nanos);
  void Merge(const LatencyHistogram& other);

  uint64_t count() const { return count_; }
  uint64_t max_nanos() const { return max_; }
  uint64_t min_nanos() const { return count_ == 0 ? 0 : min_; }

  // The q-quantile (q in [0, 1]): the upper edge of the bucket holding the
  // sample of rank ceil(q * count) (at least 1), never above the largest
  // sample. 0 when empty.
  uint64_t PercentileNanos(double q) const;
  LatencySummary Summary() const;

 private:
  static uint64_t ToNanos(absl::Duration d);

  std::vector<uint64_t> buckets_;
  uint64_t count_ = 0;
  uint64_t min_ = 0;
  uint64_t max_ = 0;
};

}  // namespace tofu::stress

#endif  // TOFU_STRESS_STATS_H_
