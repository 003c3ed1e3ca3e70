#ifndef TOFU_STRESS_HANDOFF_BASELINE_H_
#define TOFU_STRESS_HANDOFF_BASELINE_H_

// What one hand-off between two threads costs, for //stress:bench: the part of
// the engine's round trip that a raw socket ping-pong does not pay.
//
// A raw ping-pong has the kernel wake the receiving thread once per direction.
// In the engine the kernel wakes the I/O thread, which then wakes the
// application thread blocked in WaitReceive through the group's inbox (a
// mutex and a condition variable): one extra hand-off per direction when
// nobody spins. (The reply needs none: Post writes on the posting thread when
// the I/O thread is idle.) So with spinning off the engine's round trip is at
// least the raw one plus two such hand-offs (it also waits in epoll_wait
// where the raw reader waits in recv), and the bench prints that estimate of
// the best it could do beside the measured figure. An estimate, not a proof:
// percentiles do not add, and the bench's four threads share two cores where
// this baseline's two have them to themselves.

#include <cstdint>

#include "stress/raw_baseline.h"

namespace tofu::stress {

// `round_trips` times: one thread hands a token to another through an
// absl::Mutex and absl::CondVar (as a group inbox does), which hands it back
// the same way. Both threads sleep while they wait; nothing spins. The
// latency is the round trip, two hand-offs.
PingPongResult HandoffPingPong(uint64_t round_trips);

}  // namespace tofu::stress

#endif  // TOFU_STRESS_HANDOFF_BASELINE_H_
