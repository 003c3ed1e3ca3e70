// Closing (see reactor.h): one channel (its unsent messages back, then
// channel_closed, its number released under the post lock), a group's
// channels or all of them without notifications, and the engine's end
// (CloseEverything). Under io_mu_ only.

#include <utility>
#include <vector>

#include "reactor/reactor.h"

namespace tofu {

void Reactor::CloseChannel(ChannelToken token, Channel& ch, StatusCode reason,
                           bool abort, bool notify) {
  if (ch.stream != nullptr) {
    if (ch.registered) poller_->Unregister(ch.stream->handle());
    if (abort) {
      ch.stream->Abort();
    } else {
      ch.stream->Close();
    }
  }
  live_.erase(token.Pack());
  // A descriptor was freed: paused listeners may accept again.
  if (ch.kind == Channel::Kind::kIo && !paused_listeners_.empty()) {
    resume_listeners_ = true;
  }
  GroupInbox* group = ch.group;
  const uint64_t opening_id = ch.opening_id;
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
  posts_.CountClose();
}

void Reactor::CloseSilently(const GroupInbox* group) {
  for (uint64_t packed : std::vector<uint64_t>(live_.begin(), live_.end())) {
    const ChannelToken token = ChannelToken::Unpack(packed);
    Channel* ch = channels_.Find(token);
    if (ch != nullptr && (group == nullptr || ch->group == group)) {
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
