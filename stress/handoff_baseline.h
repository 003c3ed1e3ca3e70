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
// roughly the raw one plus two such hand-offs (it also waits in epoll_wait
// where the raw reader waits in recv), and the bench prints the hand-off
// beside the measured figures. Only roughly: percentiles do not add, and on a
// VM a wake-up's price depends on whether the other vCPU was idle (on this
// project's build machine an idle one took ~25 us to wake, a busy one ~2).

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
