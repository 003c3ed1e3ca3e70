#ifndef TOFU_STRESS_ENGINE_COST_H_
#define TOFU_STRESS_ENGINE_COST_H_

// The engine's own cost per message, for //stress:bench: the work of
// EngineThroughput with no hand-offs between threads, on one thread (its CPU
// per message) and split over two (its ceiling on two cores).

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

// The same two reactors and the same work, each driven on a thread of its
// own: the sender's thread posts and runs the sending loop, the receiver's
// runs the receiving loop and takes what arrived; the socket is all they
// share (and the count that keeps the sender within its window). No message
// crosses between threads. Where the engine's per-message work is the cost
// (small bodies), this is about the most that work can carry on two cores,
// however the engine's threads were arranged: the threaded engine adds its
// hand-offs to it. For large bodies the kernel's copies dominate and the
// threaded engine can do as well (both threads here poll without blocking).
absl::StatusOr<ThroughputResult> EngineTwoThreads(BenchTransport transport,
                                                  size_t body,
                                                  uint64_t messages);

}  // namespace tofu::stress

#endif  // TOFU_STRESS_ENGINE_COST_H_
