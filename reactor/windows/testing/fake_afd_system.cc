#include "reactor/windows/testing/fake_afd_system.h"

#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tofu::afd {

static_assert(sizeof(PollResult) <= sizeof(IoBlockStorage));

void FakeAfdSystem::Violation(std::string what) {
  violations_.push_back(std::move(what));
}

absl::StatusOr<Handle> FakeAfdSystem::OpenHelper() {
  if (fail_open_) {
    fail_open_ = false;
    return absl::UnavailableError("scripted: no helper");
  }
  const Handle h = next_helper_++;
  helpers_.insert(h);
  if (helpers_.size() > max_helpers_) max_helpers_ = helpers_.size();
  return h;
}

void FakeAfdSystem::CloseHelper(Handle helper) {
  if (helpers_.erase(helper) == 0) {
    Violation(absl::StrCat("close of unknown helper ", helper));
  }
  // Closing a handle cancels what is pending on it (legal, but the poller
  // only does it to polls whose PolledSocket it leaks).
  for (auto& [socket, poll] : polls_) {
    if (poll.helper == helper && !poll.completed) {
      Complete(socket, poll, kStatusCancelled, 0, 0);
    }
  }
}

size_t FakeAfdSystem::PollsOn(Handle helper) const {
  size_t n = 0;
  for (const auto& [socket, poll] : polls_) n += poll.helper == helper;
  return n;
}

void FakeAfdSystem::Complete(const PolledSocket* socket, Poll& poll,
                             uint32_t status, uint32_t handles,
                             uint32_t events) {
  poll.completed = true;
  // The kernel writes the result into the socket's IO_STATUS_BLOCK and
  // AFD_POLL_INFO: here, into the same storage.
  const PollResult result{status, handles, events};
  auto* target = const_cast<PolledSocket*>(socket);
  std::memcpy(target->io.bytes, &result, sizeof(result));
  queue_.push_back(Packet{target});
}

uint32_t FakeAfdSystem::SubmitPoll(Handle helper, PolledSocket& socket,
                                   uint32_t afd_events) {
  ++submits_;
  if (helpers_.count(helper) == 0) {
    Violation(absl::StrCat("poll on unknown helper ", helper));
  }
  if (polls_.count(&socket) != 0) {
    Violation(absl::StrCat("second poll for one PolledSocket (base ",
                           socket.base, ")"));
  }
  for (const auto& [other, poll] : polls_) {
    if (poll.base == socket.base) {
      Violation(absl::StrCat("two polls outstanding for base ", socket.base));
    }
  }
  // The poller submits again only once it has handled the previous packet,
  // its own or (after a reuse of the handle) the previous owner's.
  for (const auto& [other, poll] : popped_) {
    if (poll.base == socket.base) {
      Violation(absl::StrCat("poll for base ", socket.base,
                             " before its popped packet was handled"));
    }
  }
  if (submit_failure_ != kStatusSuccess) {
    return std::exchange(submit_failure_, kStatusSuccess);
  }
  if (closed_.count(socket.base) != 0) return kStatusInvalidHandle;
  Poll& poll = polls_[&socket];
  poll = Poll{helper, socket.base, afd_events};
  if (PollsOn(helper) > static_cast<size_t>(per_helper_)) {
    Violation(
        absl::StrCat("more than ", per_helper_, " polls on helper ", helper));
  }
  const uint32_t ready = ready_[socket.base] & afd_events;
  if (ready != 0) Complete(&socket, poll, kStatusSuccess, 1, ready);
  return kStatusPending;
}

uint32_t FakeAfdSystem::CancelPoll(Handle helper, PolledSocket& socket) {
  ++cancels_;
  // Outstanding, or popped and not handled yet.
  auto it = polls_.find(&socket);
  const bool popped = it == polls_.end();
  if (popped) {
    it = popped_.find(&socket);
    if (it == popped_.end()) {
      Violation(absl::StrCat("cancel without a poll (base ", socket.base, ")"));
      return kStatusNotFound;
    }
  }
  Poll& poll = it->second;
  if (poll.helper != helper) Violation("cancel on another helper");
  if (poll.cancel_requested) Violation("second cancel of one poll");
  if (cancel_failure_ != kStatusSuccess) {
    return std::exchange(cancel_failure_, kStatusSuccess);
  }
  if (popped) {
    // The IO_STATUS_BLOCK is no longer pending: Windows answers NOT_FOUND
    // (the packet was already dequeued).
    poll.cancel_requested = true;
    return kStatusNotFound;
  }
  if (poll.completed) return kStatusNotFound;
  poll.cancel_requested = true;
  if (race_cancel_) {
    race_cancel_ = false;
    // LOCAL_CLOSE is the close's, not a condition that can fire.
    Complete(&socket, poll, kStatusSuccess, 1,
             race_events_ & poll.events & ~kPollLocalClose);
  } else {
    Complete(&socket, poll, kStatusCancelled, 0, 0);
  }
  return kStatusSuccess;
}

PollResult FakeAfdSystem::ResultOf(const PolledSocket& socket) {
  // The poller reads the result when it handles the packet: from then on the
  // poll is gone for good.
  if (popped_.erase(&socket) == 0) {
    Violation(absl::StrCat("result read before its packet was dequeued (base ",
                           socket.base, ")"));
  }
  PollResult result;
  std::memcpy(&result, socket.io.bytes, sizeof(result));
  return result;
}

absl::StatusOr<size_t> FakeAfdSystem::Dequeue(absl::Span<Packet> packets,
                                              absl::Duration /*timeout*/) {
  // The poller handles every packet a Dequeue returns before it dequeues
  // again.
  for (const auto& [socket, poll] : popped_) {
    Violation(
        absl::StrCat("dequeued packet never handled (base ", poll.base, ")"));
  }
  popped_.clear();
  if (on_dequeue_ && hook_point_ == HookPoint::kBeforePop) {
    std::exchange(on_dequeue_, nullptr)();
  }
  size_t n = 0;
  while (n < packets.size() && !queue_.empty()) {
    const Packet p = queue_.front();
    queue_.pop_front();
    if (p.socket != nullptr) {
      auto it = polls_.find(p.socket);
      if (it != polls_.end()) {
        popped_.insert(*it);
        polls_.erase(it);
      }
    }
    packets[n++] = p;
  }
  if (on_dequeue_ && hook_point_ == HookPoint::kAfterPop) {
    std::exchange(on_dequeue_, nullptr)();
  }
  return n;
}

void FakeAfdSystem::SetReady(Handle base, uint32_t afd_events) {
  ready_[base] = afd_events;
  for (auto& [socket, poll] : polls_) {
    if (poll.base == base && !poll.completed && (poll.events & afd_events)) {
      Complete(socket, poll, kStatusSuccess, 1, poll.events & afd_events);
    }
  }
}

void FakeAfdSystem::CloseSocket(Handle base) {
  closed_.insert(base);
  ready_.erase(base);
  for (auto& [socket, poll] : polls_) {
    if (poll.base == base && !poll.completed) {
      Complete(socket, poll, kStatusSuccess, 1, kPollLocalClose);
    }
  }
}

void FakeAfdSystem::ReuseSocket(Handle base) {
  closed_.erase(base);
  ready_.erase(base);
}

void FakeAfdSystem::Wake() { queue_.push_back(Packet{nullptr}); }

bool FakeAfdSystem::PostUpdateWake() {
  ++update_wakes_;
  queue_.push_back(Packet{nullptr, /*update_wake=*/true});
  return true;
}

bool FakeAfdSystem::Fire(const PolledSocket* socket, uint32_t status,
                         uint32_t handles, uint32_t events) {
  auto it = polls_.find(socket);
  if (it == polls_.end() || it->second.completed) return false;
  Complete(socket, it->second, status, handles, events);
  return true;
}

void FakeAfdSystem::RaceNextCancel(uint32_t afd_events) {
  race_cancel_ = true;
  race_events_ = afd_events;
}

void FakeAfdSystem::ClearFaults() {
  fail_open_ = false;
  submit_failure_ = kStatusSuccess;
  cancel_failure_ = kStatusSuccess;
  race_cancel_ = false;
}

}  // namespace tofu::afd
