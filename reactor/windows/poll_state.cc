#include "reactor/windows/poll_state.h"

#include <cassert>

namespace tofu::afd {
namespace {

constexpr uint32_t kAlwaysRequested =
    kPollAbort | kPollConnectFail | kPollLocalClose;
constexpr uint32_t kReadableEvents =
    kPollReceive | kPollAccept | kPollDisconnect | kPollConnectFail;
constexpr uint32_t kWritableEvents = kPollSend | kPollConnectFail;
constexpr uint32_t kErrorEvents = kPollAbort | kPollConnectFail;
constexpr uint32_t kAllInterest = kInterestRead | kInterestWrite;

}  // namespace

uint32_t AfdEventsForInterest(uint32_t interest) {
  uint32_t events = kAlwaysRequested;
  if (interest & kInterestRead) {
    events |= kPollReceive | kPollAccept | kPollDisconnect;
  }
  if (interest & kInterestWrite) events |= kPollSend;
  return events;
}

Readiness ReadinessFromAfdEvents(uint32_t afd_events, uint32_t interest) {
  Readiness r;
  if ((interest & kAllInterest) == 0) return r;
  r.readable = (interest & kInterestRead) && (afd_events & kReadableEvents);
  r.writable = (interest & kInterestWrite) && (afd_events & kWritableEvents);
  r.error = (afd_events & kErrorEvents) != 0;
  return r;
}

bool PollState::NeedsCancel() const {
  return status_ == Status::kPending &&
         (delete_pending_ || (interest_ & ~pending_interest_) != 0);
}

uint32_t PollState::CancelPending(PollDriver& driver) {
  assert(status_ == Status::kPending);
  const uint32_t result = driver.Cancel();
  // NOT_FOUND: the poll completed before the cancel; its packet is queued or
  // about to be, exactly as after a successful cancel.
  if (result != kStatusSuccess && result != kStatusNotFound) return result;
  status_ = Status::kCancelled;
  pending_interest_ = 0;
  return kStatusSuccess;
}

uint32_t PollState::SetInterest(uint32_t interest, PollDriver& driver) {
  assert(!delete_pending_);
  if (delete_pending_ || ended_) return kStatusSuccess;
  interest_ = interest & kAllInterest;
  // A pending poll that covers the new interest stays: its result is filtered
  // by interest_ when it completes. One that does not must be cancelled
  // first; a second poll on the same socket is never submitted.
  if (!NeedsCancel()) return kStatusSuccess;
  return CancelPending(driver);
}

bool PollState::WantsSubmit() const {
  if (status_ == Status::kPending) return NeedsCancel();
  if (delete_pending_ || ended_) return false;
  return status_ == Status::kIdle && interest_ != 0;
}

PollState::SubmitResult PollState::Submit(PollDriver& driver) {
  using Kind = SubmitResult::Kind;
  if (!WantsSubmit()) return {};
  if (status_ == Status::kPending) {
    const uint32_t failed = CancelPending(driver);
    if (failed != kStatusSuccess) return {Kind::kFailed, failed};
    return {Kind::kCancelRequested, kStatusSuccess};
  }
  const uint32_t result = driver.Submit(AfdEventsForInterest(interest_));
  if (result == kStatusPending || result == kStatusSuccess) {
    // SUCCESS: completed at once, but its packet still comes.
    status_ = Status::kPending;
    pending_interest_ = interest_;
    return {Kind::kSubmitted, result};
  }
  if (result == kStatusInvalidHandle) {
    ended_ = true;
    return {Kind::kEnded, result};
  }
  return {Kind::kFailed, result};
}

PollState::CompletionResult PollState::OnCompletion(uint32_t iosb_status,
                                                    uint32_t number_of_handles,
                                                    uint32_t afd_events) {
  CompletionResult result;
  assert(status_ != Status::kIdle);
  if (status_ == Status::kIdle) return result;
  status_ = Status::kIdle;
  pending_interest_ = 0;
  if (delete_pending_) {
    // The final packet of an unregistered socket: whatever it says, nothing
    // is reported, and nothing references the object any more.
    result.free_now = true;
    return result;
  }
  if (iosb_status == kStatusCancelled) {
    // Our own cancel (a wider interest): no events; re-armed by Submit().
  } else if (iosb_status == kStatusInvalidHandle) {
    ended_ = true;
  } else if (!NtSuccess(iosb_status)) {
    // The poll itself failed: the reactor learns why from the socket.
    result.readiness.error = interest_ != 0;
  } else if (number_of_handles == 0) {
    // Completed without reporting anything: nothing to say, re-armed later.
  } else if (afd_events & kPollLocalClose) {
    // The handle was closed by this process without Unregister().
    ended_ = true;
  } else {
    result.readiness = ReadinessFromAfdEvents(afd_events, interest_);
  }
  result.ended = ended_;
  return result;
}

bool PollState::Unregister(PollDriver& driver) {
  assert(!delete_pending_);
  if (delete_pending_) return false;
  delete_pending_ = true;
  // A failed cancel leaves the poll pending: Submit() retries it, and its
  // packet still frees the object (at the latest, closing the socket
  // completes it with LOCAL_CLOSE).
  if (status_ == Status::kPending) CancelPending(driver);
  return status_ == Status::kIdle;
}

}  // namespace tofu::afd
