#ifndef TOFU_STRESS_START_GATE_H_
#define TOFU_STRESS_START_GATE_H_

// A start line for the client threads of a sweep point: the measured phase
// begins only once every thread has connected all of its connections.

#include <atomic>
#include <chrono>
#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace tofu::stress {

using SteadyTime = std::chrono::steady_clock::time_point;

// Thread-safe; each of the `parties` threads calls ArriveAndWait once.
class StartGate {
 public:
  explicit StartGate(int parties) : parties_(parties), waiting_(parties) {}

  // Blocks until every party has arrived and returns the moment the last one
  // did. Fails with cancelled once Abort() was called, and with
  // deadline_exceeded (saying how many arrived) when `activity` (a counter
  // the other parties advance while they work towards the gate) stood still
  // for a whole `idle_timeout`.
  absl::StatusOr<SteadyTime> ArriveAndWait(
      absl::Duration idle_timeout, const std::atomic<uint64_t>& activity);

  // Releases every waiter with cancelled, now and later.
  void Abort();

 private:
  const int parties_;
  absl::Mutex mu_;
  int waiting_ ABSL_GUARDED_BY(mu_);
  bool aborted_ ABSL_GUARDED_BY(mu_) = false;
  SteadyTime start_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tofu::stress

#endif  // TOFU_STRESS_START_GATE_H_
