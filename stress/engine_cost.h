#ifndef TOFU_STRESS_ENGINE_COST_H_
#define TOFU_STRESS_ENGINE_COST_H_

// The engine's own CPU cost per message, for //stress:bench: the work of
// EngineThroughput with no threads, so nothing crosses cores and nothing
// waits.

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "stress/raw_baseline.h"

namespace tofu::stress {

// A receiving and a sending reactor over a real loopback or UDS connection,
// both driven on the calling thread: post a window of Signals (as
// EngineThroughput's sender does, ThroughputWindow(body) of them), run the
// sender's loop (queue, encode, vectored write), run the receiver's (read,
// decode, deliver), take and drop what arrived; repeat until `messages` have
// been counted. Every step of the threaded path runs, so elapsed / messages is
// the CPU one message costs, the kernel's copies included; the threaded engine
// spends this plus its hand-offs between threads.
absl::StatusOr<ThroughputResult> EngineOneThread(BenchTransport transport,
                                                 size_t body,
                                                 uint64_t messages);

}  // namespace tofu::stress

#endif  // TOFU_STRESS_ENGINE_COST_H_
