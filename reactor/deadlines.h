#ifndef TOFU_REACTOR_DEADLINES_H_
#define TOFU_REACTOR_DEADLINES_H_

// The engine's deadlines on peers, and the per-channel clock a periodic sweep
// checks them with. No system calls and no clock reads: the reactor passes
// `now` (a monotonic clock), so tests drive time by hand.
//
// Why a sweep rather than a timer per event: the hot path then reads no clock
// and touches no timer structure per frame. A frame's deadline is measured
// from the first sweep that finds it incomplete, so a channel is closed
// between one and one-and-a-quarter timeouts after it stalled.
//
// Touched only by the thread running the reactor's loop.

#include <chrono>
#include <cstdint>

#include "absl/time/time.h"
#include "reactor/channel_state.h"

namespace tofu {

using SteadyTime = std::chrono::steady_clock::time_point;

// Each zero (or negative) duration turns its deadline off.
struct Timeouts {
  // A ByeRequest (or oob=0 ByeSignal) the peer does not answer, or a crossed
  // Bye exchange that does not finish.
  absl::Duration bye = absl::Seconds(5);
  // An accepted connection whose first frame has not fully arrived.
  absl::Duration handshake = absl::Seconds(10);
  // A frame that stays incomplete (its header or body partly received).
  absl::Duration frame = absl::Seconds(30);

  bool any() const;
  // How often the loop sweeps: a quarter of the shortest deadline that is on,
  // within [10 ms, 1 s]; infinite when every deadline is off.
  absl::Duration SweepInterval() const;
};

class ChannelClock {
 public:
  // Call when the channel's phase deadline changes (ChannelState::deadline()
  // differs from kind()); `now` is when the new one starts.
  void Start(ChannelState::Deadline kind, SteadyTime now) {
    kind_ = kind;
    since_ = now;
  }
  ChannelState::Deadline kind() const { return kind_; }

  // At a sweep: whether a deadline has passed. `frames` counts the frames the
  // channel has received so far and `mid_frame` says whether one is partly
  // received (false while the engine itself holds reading back, as when the
  // pool is empty: then the wait is not the peer's doing). While
  // `engine_holds`, every clock stands still: it restarts when the engine
  // reads again.
  bool Overdue(const Timeouts& timeouts, uint64_t frames, bool mid_frame,
               bool engine_holds, SteadyTime now);

 private:
  ChannelState::Deadline kind_ = ChannelState::Deadline::kNone;
  SteadyTime since_{};
  // The frame seen incomplete at the last sweep: the count before it, and
  // since when.
  bool partial_ = false;
  uint64_t partial_frames_ = 0;
  SteadyTime partial_since_{};
};

}  // namespace tofu

#endif  // TOFU_REACTOR_DEADLINES_H_
