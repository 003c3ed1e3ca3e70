#include "stress/start_gate.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tofu::stress {

absl::StatusOr<SteadyTime> StartGate::ArriveAndWait(
    absl::Duration idle_timeout, const std::atomic<uint64_t>& activity) {
  absl::MutexLock lock(&mu_);
  if (--waiting_ == 0) start_ = std::chrono::steady_clock::now();
  auto released = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return waiting_ <= 0 || aborted_;
  };
  uint64_t seen = activity.load(std::memory_order_relaxed);
  while (!mu_.AwaitWithTimeout(absl::Condition(&released), idle_timeout)) {
    const uint64_t now = activity.load(std::memory_order_relaxed);
    if (now == seen) {
      return absl::DeadlineExceededError(absl::StrCat(
          "timed out after ", absl::FormatDuration(idle_timeout),
          " without progress waiting for the other client threads to "
          "connect: ",
          parties_ - waiting_, " of ", parties_, " threads ready"));
    }
    seen = now;
  }
  if (aborted_) return absl::CancelledError("the point was aborted");
  return start_;
}

void StartGate::Abort() {
  absl::MutexLock lock(&mu_);
  aborted_ = true;
}

}  // namespace tofu::stress
