// Closing (see reactor.h): carrying out what a connection's lifecycle
// decides (OnChannelEvent; the rules themselves are in channel_state.h), the
// deadline sweep, closing one channel (its unsent messages back, then
// channel_closed, its number released under the post lock), a group's
// channels or all of them without notifications, and the engine's end
// (CloseEverything). Under io_mu_ only.

#include <utility>
#include <vector>

#include "reactor/channel_state.h"
#include "reactor/deadlines.h"
#include "reactor/reactor.h"

namespace tofu {

bool Reactor::OnChannelEvent(ChannelToken token, Channel& ch,
                             ChannelState::Event event, StatusCode cause) {
  const ChannelState::Decision d = ch.state.On(event, cause);
  if (d.close == ChannelState::Close::kNone) {
    // The last frame may be out already when the exchange completes.
    if (ch.LastFrameOut()) {
      return OnChannelEvent(token, ch, ChannelState::Event::kWritten);
    }
    return true;
  }
  CloseChannel(token, ch, d.reason, d.close == ChannelState::Close::kAbort,
               d.notify, d.report);
  return false;
}

void Reactor::SweepDeadlines(SteadyTime now) {
  for (uint64_t packed : std::vector<uint64_t>(live_.begin(), live_.end())) {
    const ChannelToken token = ChannelToken::Unpack(packed);
    Channel* ch = channels_.Find(token);
    if (ch == nullptr || ch->kind != Channel::Kind::kIo) continue;
    if (ch->clock.kind() != ch->state.deadline()) {
      ch->clock.Start(ch->state.deadline(), now);
    }
    // While the engine holds reading back for want of pool messages, the
    // wait is not the peer's doing: every clock stands still. A channel
    // waiting for a partial-frame slot has read all its peer sent of the
    // frame (ReadHeldFrame), so that frame is incomplete all the same.
    const bool engine_holds = ch->hold == Channel::Hold::kPoolEmpty;
    const bool mid_frame =
        ch->hold == Channel::Hold::kPartialCap ||
        (ch->hold == Channel::Hold::kNone && !ch->decoder.at_frame_boundary());
    if (ch->clock.Overdue(timeouts_, ch->frames_in, mid_frame, engine_holds,
                          now)) {
      counters_.Timeout();
      OnChannelEvent(token, *ch, ChannelState::Event::kDeadline);
    }
  }
}

void Reactor::CloseChannel(ChannelToken token, Channel& ch, StatusCode reason,
                           bool abort, bool notify, bool report) {
  ReleasePartial(ch);
  if (ch.stream != nullptr) {
    if (ch.registered) poller_->Unregister(ch.stream->handle());
    if (abort) {
      ch.stream->Abort();
    } else {
      ch.stream->Close();
    }
  }
  live_.erase(token.Pack());
  if (live_.empty()) sweeping_.store(false, std::memory_order_relaxed);
  // A descriptor was freed: paused listeners may accept again.
  if (ch.kind == Channel::Kind::kIo && !paused_listeners_.empty()) {
    resume_listeners_ = true;
  }
  GroupInbox* group = ch.group;
  const uint64_t opening_id = ch.opening_id;
  if (notify && report) {
    deliveries_.Deliver(group,
                        NewSignal(pool_, reason, token.number, opening_id));
  }
  if (notify) {
    ch.encoder.Clear();
    while (MessagePtr m = ch.in_flight.PopFront())
      deliveries_.ReturnToApp(group, std::move(m), reason);
    while (MessagePtr m = ch.send_queue.PopFront())
      deliveries_.ReturnToApp(group, std::move(m), reason);
  }
  // Under the post lock, which Post holds while it checks the channel and
  // queues: every post to this opening is either queued already (and comes
  // back here, before channel_closed, as unsent) or finds it closed and comes
  // back straight to the inbox, after channel_closed.
  absl::MutexLock lock(&posts_.mu());
  if (notify) {
    ReturnPosted(token, group, reason);
    deliveries_.Deliver(group, NewSignal(pool_, StatusCode::kChannelClosed,
                                         token.number, opening_id));
    deliveries_.Flush();
  }
  channels_.Close(token);  // destroys `ch`
  counters_.ChannelClosed();
  posts_.CountClose();
}

void Reactor::CloseSilently(const GroupInbox* group) {
  for (uint64_t packed : std::vector<uint64_t>(live_.begin(), live_.end())) {
    const ChannelToken token = ChannelToken::Unpack(packed);
    Channel* ch = channels_.Find(token);
    if (ch == nullptr || (group != nullptr && ch->group != group)) continue;
    if (ch->kind == Channel::Kind::kIo) {
      OnChannelEvent(token, *ch,
                     group == nullptr ? ChannelState::Event::kShutdown
                                      : ChannelState::Event::kGroupDestroyed);
    } else {
      CloseChannel(token, *ch, StatusCode::kShutdownStarted, /*abort=*/true,
                   /*notify=*/false);
    }
  }
}

void Reactor::CloseEverything() {
  CloseSilently(nullptr);
  std::vector<Posted> leftover;
  PostQueue::Groups groups;
  posts_.TakeEverything(leftover, groups);
  for (Posted& p : leftover) {
    if (p.done != nullptr) p.done->Notify();  // its inbox is closed already
  }
  for (auto& [id, group] : groups) group->Close();
}

}  // namespace tofu
