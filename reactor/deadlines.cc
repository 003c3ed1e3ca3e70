#include "reactor/deadlines.h"

#include <algorithm>

namespace tofu {
namespace {

bool On(absl::Duration d) { return d > absl::ZeroDuration(); }

bool Passed(SteadyTime since, absl::Duration limit, SteadyTime now) {
  return On(limit) && now - since >= absl::ToChronoNanoseconds(limit);
}

}  // namespace

bool Timeouts::any() const { return On(bye) || On(handshake) || On(frame); }

absl::Duration Timeouts::SweepInterval() const {
  absl::Duration shortest = absl::InfiniteDuration();
  for (absl::Duration d : {bye, handshake, frame}) {
    if (On(d)) shortest = std::min(shortest, d);
  }
  if (shortest == absl::InfiniteDuration()) return shortest;
  return std::clamp(shortest / 4, absl::Milliseconds(10), absl::Seconds(1));
}

bool ChannelClock::Overdue(const Timeouts& timeouts, uint64_t frames,
                           bool mid_frame, bool engine_holds, SteadyTime now) {
  if (engine_holds) {
    since_ = now;
    partial_ = false;
    return false;
  }
  switch (kind_) {
    case ChannelState::Deadline::kHandshake:
      if (Passed(since_, timeouts.handshake, now)) return true;
      break;
    case ChannelState::Deadline::kBye:
      if (Passed(since_, timeouts.bye, now)) return true;
      break;
    case ChannelState::Deadline::kNone:
      break;
  }
  if (!mid_frame) {
    partial_ = false;
    return false;
  }
  if (!partial_ || partial_frames_ != frames) {
    // A frame started since the last sweep: its clock starts now.
    partial_ = true;
    partial_frames_ = frames;
    partial_since_ = now;
    return false;
  }
  return Passed(partial_since_, timeouts.frame, now);
}

}  // namespace tofu
