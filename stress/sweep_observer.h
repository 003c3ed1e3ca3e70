#ifndef TOFU_STRESS_SWEEP_OBSERVER_H_
#define TOFU_STRESS_SWEEP_OBSERVER_H_

// What a running sweep tells whoever shows its progress.

#include <cstdint>

#include "absl/time/time.h"
#include "stress/point.h"

namespace tofu::stress {

inline constexpr absl::Duration kProgressInterval = absl::Milliseconds(200);

// Told how the sweep is going; every call comes from the thread that runs the
// sweep.
class SweepObserver {
 public:
  virtual ~SweepObserver() = default;
  // `expected_messages` is 0 when the point runs for a duration.
  virtual void PointStarted(int index, int count, const PointSpec& spec,
                            uint64_t expected_messages) = 0;
  // About every kProgressInterval while a point runs: messages verified so
  // far.
  virtual void PointProgress(uint64_t messages, absl::Duration elapsed) = 0;
  virtual void PointFinished(int index, int count,
                             const PointResult& result) = 0;
};

}  // namespace tofu::stress

#endif  // TOFU_STRESS_SWEEP_OBSERVER_H_
