#include "stress/handoff_baseline.h"

#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "stress/platform.h"
#include "stress/stats.h"

namespace tofu::stress {
namespace {

// One direction: a slot holding the sequence number last handed over.
class Slot {
 public:
  // Signals after unlocking, as the engine wakes a group's waiter.
  void Put(uint64_t value) ABSL_LOCKS_EXCLUDED(mu_) {
    {
      absl::MutexLock lock(&mu_);
      value_ = value;
    }
    ready_.Signal();
  }
  // Sleeps until the slot holds `value`.
  void WaitFor(uint64_t value) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    while (value_ != value) ready_.Wait(&mu_);
  }

 private:
  absl::Mutex mu_;
  absl::CondVar ready_;
  uint64_t value_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace

PingPongResult HandoffPingPong(uint64_t round_trips) {
  Slot there;
  Slot back;
  // A few untimed round trips first: the peer thread's start is not a
  // hand-off.
  constexpr uint64_t kWarmUp = 100;
  std::thread peer([&] {
    for (uint64_t i = 1; i <= kWarmUp + round_trips; ++i) {
      there.WaitFor(i);
      back.Put(i);
    }
  });
  for (uint64_t i = 1; i <= kWarmUp; ++i) {
    there.Put(i);
    back.WaitFor(i);
  }
  LatencyHistogram rtt;
  const CpuTime cpu_start = ProcessCpuTime();
  for (uint64_t i = kWarmUp + 1; i <= kWarmUp + round_trips; ++i) {
    const absl::Time start = absl::Now();
    there.Put(i);
    back.WaitFor(i);
    rtt.Record(absl::Now() - start);
  }
  const absl::Duration cpu = CpuSince(cpu_start);
  peer.join();
  return PingPongResult{round_trips, rtt.Summary(), cpu};
}

}  // namespace tofu::stress
