#ifndef TOFU_STRESS_ENGINE_COST_H_
#define TOFU_STRESS_ENGINE_COST_H_

// The engine's own cost per message, for //stress:bench: the work of
// EngineThroughput with no hand-offs between threads, on one thread (its CPU
// per message) and divided at the socket over two.

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
// runs the receiving loop and takes what arrived. They share the socket and
// the count that keeps the sender within its window, nothing else: the work
// is divided at the socket and no message crosses between threads. The
// threaded engine divides each side's work again, between the application's
// thread and the I/O thread, and pays for those hand-offs; this shows what
// the work carries without them. For large bodies the kernel's copies
// dominate instead, and both threads here poll without blocking, so the
// threaded engine can do better.
absl::StatusOr<ThroughputResult> EngineTwoThreads(BenchTransport transport,
                                                  size_t body,
                                                  uint64_t messages);

}  // namespace tofu::stress

#endif  // TOFU_STRESS_ENGINE_COST_H_
