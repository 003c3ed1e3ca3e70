// Post intake (see reactor.h): Post and its inline path, creating and
// destroying groups, and dispatching what was posted, in post order. Post,
// CreateGroup and DestroyGroup run on application threads, which reach the
// loop through posts_ (the post lock) and Wake; TryRunPostedInline runs the
// loop's work on the posting thread when it gets io_mu_. DispatchPosted,
// Dispatch and ReturnPosted run under io_mu_ (the I/O thread, or the inline
// path).

#include <optional>
#include <utility>

#include "message/post_validation.h"
#include "message/status.h"
#include "reactor/reactor.h"

namespace tofu {
namespace {

// A post of a frame at least this large (text headers and body) to a UDS
// channel is written on the posting thread when no thread runs the loop (see
// TryRunPostedInline). A channel's hint in channels_ says it is UDS (a
// listener's: what it accepts).
constexpr size_t kInlineWriteMin = 16 * 1024;

}  // namespace

absl::StatusOr<std::shared_ptr<GroupInbox>> Reactor::CreateGroup() {
  // A group whose application blocks on an empty inbox while channels are
  // held back may be the one they hold up: retry them (see reserve_due_).
  auto group = std::make_shared<GroupInbox>(
      next_group_id_.fetch_add(1), receive_spin_, [this] {
        // seq_cst: pairs with the loop's store of has_starved_ before it
        // looks at blocked(), and with its clearing of wake_pending_ before
        // it reads reserve_due_ (Wake's load).
        if (!has_starved_.load(std::memory_order_seq_cst)) return;
        reserve_due_.store(true, std::memory_order_seq_cst);
        Wake();
      });
  if (!posts_.AddGroup(group)) {
    return ToAbslStatus(StatusCode::kShutdownStarted);
  }
  return group;
}

void Reactor::DestroyGroup(GroupInbox& group) {
  absl::Notification done;
  // Closed under the post lock: a Post that takes the lock after this sees
  // the group closed, so nothing naming the group is queued behind its
  // destroy command (the I/O thread would reach it after the group is
  // gone). Deliveries meanwhile are released, as the destroy would.
  if (!posts_.QueueDestroy(group, &done)) return;
  Wake();
  if (driven_) {
    // No I/O thread: run the loop here until the command is done.
    while (!done.HasBeenNotified() && RunOnce(absl::ZeroDuration())) {
    }
  }
  done.WaitForNotification();
}

absl::StatusOr<BinaryHeader> Reactor::Post(GroupInbox& group,
                                           MessagePtr& message) {
  if (message == nullptr) return ToAbslStatus(StatusCode::kNullMessage);
  if (group.closed()) {
    message->header().status = StatusCode::kShutdownStarted;
    return ToAbslStatus(StatusCode::kShutdownStarted);
  }
  const StatusCode code = PrepareForPost(*message);
  if (code != StatusCode::kSuccess) return ToAbslStatus(code);
  BinaryHeader& header = message->header();
  // Before the owner check (see PostQueue::closes).
  const uint64_t closes_seen = posts_.closes();
  std::optional<ChannelToken> opened;
  ChannelToken checked;
  if (header.channel_number == kUnassignedChannel) {
    absl::StatusOr<ChannelToken> token =
        channels_.Open(group.id(), &group, header.message_id);
    if (!token.ok()) {
      header.status = StatusCode::kAllocationFailed;
      return ToAbslStatus(StatusCode::kAllocationFailed,
                          token.status().message());
    }
    opened = checked = *token;
    header.channel_number = token->number;
    counters_.ChannelOpened();
  } else {
    absl::StatusOr<ChannelToken> token =
        channels_.CheckOwner(header.channel_number, group.id());
    if (!token.ok()) {
      const StatusCode why = StatusCodeOf(token.status());
      if (why == StatusCode::kChannelClosed) {
        return ReturnPostToClosed(group, message);
      }
      header.status = why;
      return token.status();
    }
    checked = *token;
  }
  const BinaryHeader prepared = header;
  const bool large_uds =
      inline_posts_ &&
      message->body().size() + message->text_headers().size() >=
          kInlineWriteMin &&
      channels_.Hint(checked);
  {
    absl::MutexLock lock(&posts_.mu());
    // The group again, now under the lock DestroyGroup closes it under.
    if (posts_.stopping() || group.closed()) {
      if (opened.has_value()) {
        channels_.Close(*opened);
        counters_.ChannelClosed();
      }
      header.status = StatusCode::kShutdownStarted;
      return ToAbslStatus(StatusCode::kShutdownStarted);
    }
    // The channel again if one closed since the check, under the lock its
    // close takes (CloseChannel): open now, the message is queued before the
    // close looks for unsent posts; closed, its channel_closed is in the inbox
    // already.
    if (posts_.ClosedSince(closes_seen) && !channels_.IsOpen(checked)) {
      return ReturnPostToClosed(group, message);
    }
    posts_.Push(Posted{std::move(message), &group, checked, nullptr});
  }
  if (!TryRunPostedInline(large_uds)) Wake();
  return prepared;
}

BinaryHeader Reactor::ReturnPostToClosed(GroupInbox& group,
                                         MessagePtr& message) {
  // Closed by the engine already: the message comes back through the inbox,
  // after the channel's channel_closed, as it would had it reached the I/O
  // thread a moment later.
  const BinaryHeader prepared = message->header();
  MarkReturned(*message, StatusCode::kChannelClosed, &counters_);
  group.Push(std::move(message));
  return prepared;
}

bool Reactor::TryRunPostedInline(bool large_uds) {
  if (!inline_posts_) return false;
  if (!large_uds &&
      (!inline_credit_.load(std::memory_order_relaxed) ||
       !inline_credit_.exchange(false, std::memory_order_acq_rel))) {
    return false;
  }
  if (io_thread_waiting_.load(std::memory_order_relaxed) || !io_mu_.TryLock()) {
    // The credit is for an answer written inline: this post could not use
    // it, so the next one (the answer, if this was another thread's) may.
    if (!large_uds) inline_credit_.store(true, std::memory_order_release);
    return false;
  }
  // Once stopping, the I/O thread's last iteration closes everything.
  const bool taken = DispatchPosted(/*unless_stopping=*/true);
  if (taken) FinishIteration();
  ReleaseLoop();
  return taken;
}

bool Reactor::DispatchPosted(bool unless_stopping) {
  const bool stopping = posts_.TakeAll(batch_, unless_stopping);
  if (stopping && unless_stopping) return false;
  // By index: a dispatch that closes a channel takes that channel's later
  // entries out of the batch (ReturnPosted), leaving them without a group.
  for (batch_next_ = 0; batch_next_ < batch_.size();) {
    Posted& p = batch_[batch_next_++];
    if (p.group != nullptr) Dispatch(p);
  }
  batch_.clear();
  batch_next_ = 0;
  return !stopping;
}

void Reactor::Dispatch(Posted& posted) {
  GroupInbox* group = posted.group;
  if (posted.done != nullptr) {
    // Group destroy: close its channels without notifications (its inbox is
    // closed already; deliveries to it are released).
    deliveries_.Flush();
    CloseSilently(group);
    posts_.RemoveGroup(group->id());
    posted.done->Notify();
    return;
  }
  MessagePtr message = std::move(posted.message);
  const BinaryHeader& header = message->header();
  // The opening checked at post time: if it closed since, even a reopened
  // number does not take the message.
  const ChannelToken token = posted.channel;
  Channel* ch = channels_.Find(token);
  if (ch == nullptr || ch->group != group) {
    deliveries_.ReturnToApp(group, std::move(message),
                            StatusCode::kChannelClosed);
    return;
  }
  const OpCode op = header.op_code;
  if (op == OpCode::kHelloRequest || op == OpCode::kWelcomeRequest) {
    if (ch->kind != Channel::Kind::kPending) {
      deliveries_.ReturnToApp(group, std::move(message),
                              StatusCode::kNotAllowed);
    } else if (op == OpCode::kHelloRequest) {
      StartConnect(token, *ch, std::move(message));
    } else {
      StartListen(token, *ch, std::move(message));
    }
    return;
  }
  if (op == OpCode::kByeSignal && header.oob) {
    // Local abortive close: the ByeSignal comes back first, then the unsent
    // messages, then channel_closed.
    deliveries_.ReturnToApp(group, std::move(message),
                            StatusCode::kChannelClosed);
    if (ch->kind == Channel::Kind::kIo) {
      OnChannelEvent(token, *ch, ChannelState::Event::kLocalAbort);
    } else {
      CloseChannel(token, *ch, StatusCode::kChannelClosed, /*abort=*/true);
    }
    return;
  }
  if (op == OpCode::kWelcomeResponse || ch->kind != Channel::Kind::kIo) {
    // WelcomeResponse is the engine's; listeners carry no frames.
    deliveries_.ReturnToApp(group, std::move(message), StatusCode::kNotAllowed);
    return;
  }
  const bool was_idle = ch->send_queue.empty() && ch->encoder.empty();
  // In a crossed Bye exchange only the ByeResponse may still go out: it
  // passes whatever waits in the queue (held until the close returns it).
  const bool answer_only = op == OpCode::kByeResponse &&
                           !ch->state.MayEncode(OpCode::kRequest) &&
                           ch->state.MayEncode(OpCode::kByeResponse);
  if (header.oob && ch->state.MayEncode(OpCode::kRequest)) {
    RequeueUnstarted(*ch);
    ch->send_queue.PushFront(std::move(message));
  } else if (answer_only) {
    ch->send_queue.PushFront(std::move(message));
  } else {
    ch->send_queue.PushBack(std::move(message));
  }
  if ((was_idle || answer_only) &&
      ch->state.phase() != ChannelState::Phase::kConnecting) {
    dirty_.push_back(token);
  }
}

void Reactor::ReturnPosted(ChannelToken token, GroupInbox* group,
                           StatusCode reason) {
  // First the batch being dispatched (its entries not reached yet), then
  // what was posted since: post order.
  for (size_t i = batch_next_; i < batch_.size(); ++i) {
    if (!batch_[i].UnsentTo(token)) continue;
    deliveries_.ReturnToApp(group, std::move(batch_[i].message), reason);
    batch_[i].group = nullptr;
  }
  MessageQueue since;
  posts_.TakeUnsent(token, since);
  while (MessagePtr m = since.PopFront()) {
    deliveries_.ReturnToApp(group, std::move(m), reason);
  }
}

}  // namespace tofu
