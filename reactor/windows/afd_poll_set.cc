#include "reactor/windows/afd_poll_set.h"

#include <algorithm>
#include <cassert>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/types/span.h"

namespace tofu::afd {

// The PollDriver of one PolledSocket: its PollState's calls go to the system
// with that socket's helper and IoBlockStorage.
class AfdPollSet::BoundDriver final : public PollDriver {
 public:
  BoundDriver(AfdSystem& system, PolledSocket& socket)
      : system_(system), socket_(socket) {}

  uint32_t Submit(uint32_t afd_events) override {
    return system_.SubmitPoll(socket_.helper->handle, socket_, afd_events);
  }
  uint32_t Cancel() override {
    return system_.CancelPoll(socket_.helper->handle, socket_);
  }

 private:
  AfdSystem& system_;
  PolledSocket& socket_;
};

AfdPollSet::~AfdPollSet() {
  Drain(kDrainOnDestruction);
  // Whatever is left is leaked: closing its helper (in ~HelperPool) cancels
  // the poll, and the kernel may still write to it.
}

void AfdPollSet::SetWakeToken(uint64_t token) {
  absl::MutexLock lock(&mu_);
  wake_token_ = token;
  has_wake_token_ = true;
}

absl::Status AfdPollSet::Register(Handle socket, Handle base, uint64_t token,
                                  uint32_t interest) {
  absl::MutexLock lock(&mu_);
  if (registered_.contains(socket)) {
    return absl::AlreadyExistsError(
        absl::StrCat("socket ", socket, " is already registered"));
  }
  absl::StatusOr<Helper*> helper = helpers_.Acquire();
  if (!helper.ok()) return helper.status();
  auto* s = new PolledSocket;
  s->socket = socket;
  s->base = base;
  s->helper = *helper;
  s->token = token;
  BoundDriver driver(system_, *s);
  s->poll.SetInterest(interest, driver);
  registered_.emplace(socket, s);
  Enqueue(s);
  WakeIfDue(s);
  return absl::OkStatus();
}

absl::Status AfdPollSet::Modify(Handle socket, uint64_t token,
                                uint32_t interest) {
  absl::MutexLock lock(&mu_);
  auto it = registered_.find(socket);
  if (it == registered_.end()) {
    return absl::NotFoundError(
        absl::StrCat("socket ", socket, " is not registered"));
  }
  PolledSocket* s = it->second;
  s->token = token;
  // A failed cancel leaves the poll pending; the next flush retries it.
  BoundDriver driver(system_, *s);
  s->poll.SetInterest(interest, driver);
  Enqueue(s);
  WakeIfDue(s);
  return absl::OkStatus();
}

void AfdPollSet::Unregister(Handle socket) {
  absl::MutexLock lock(&mu_);
  auto it = registered_.find(socket);
  if (it == registered_.end()) return;
  PolledSocket* s = it->second;
  registered_.erase(it);
  Retire(s);
}

void AfdPollSet::WakeIfDue(PolledSocket* s) {
  // Nothing to issue, or Wait issues it before it next dequeues.
  if (!dequeuing_ || s->queue_index < 0 || !s->poll.WantsSubmit()) return;
  if (update_wake_pending_) return;
  // Not polled before its handle's previous owner's final packet, which
  // wakes Wait anyway (and puts it back in the queue).
  if (BehindPreviousOwner(s)) return;
  // A failed post (out of memory) leaves the poll to the next packet that
  // wakes Wait; the next control call tries to post again.
  update_wake_pending_ = system_.PostUpdateWake();
  if (update_wake_pending_) ++update_wakes_;
}

size_t AfdPollSet::registered() const {
  absl::MutexLock lock(&mu_);
  return registered_.size();
}

size_t AfdPollSet::unregistering() const {
  absl::MutexLock lock(&mu_);
  return unregistering_.size();
}

size_t AfdPollSet::helpers() const {
  absl::MutexLock lock(&mu_);
  return helpers_.helpers();
}

uint64_t AfdPollSet::update_wakes() const {
  absl::MutexLock lock(&mu_);
  return update_wakes_;
}

void AfdPollSet::Retire(PolledSocket* s) {
  BoundDriver driver(system_, *s);
  if (s->poll.Unregister(driver)) {
    Free(s);
    return;
  }
  unregistering_.emplace(s->socket, s);
  // A failed cancel is retried by the next pass (Wait is woken for it if it
  // is dequeuing); otherwise there is nothing to do but wait for the final
  // packet.
  if (s->poll.WantsSubmit()) {
    Enqueue(s);
    WakeIfDue(s);
  } else {
    Dequeue(s);
  }
}

bool AfdPollSet::BehindPreviousOwner(const PolledSocket* s) const {
  auto previous = unregistering_.find(s->socket);
  return previous != unregistering_.end() && previous->second != s;
}

void AfdPollSet::Enqueue(PolledSocket* s) {
  if (s->queue_index >= 0) return;
  s->queue_index = static_cast<int64_t>(updates_.size());
  updates_.push_back(s);
}

void AfdPollSet::Dequeue(PolledSocket* s) {
  if (s->queue_index < 0) return;
  const size_t i = static_cast<size_t>(s->queue_index);
  updates_[i] = updates_.back();
  updates_[i]->queue_index = static_cast<int64_t>(i);
  updates_.pop_back();
  s->queue_index = -1;
}

void AfdPollSet::Free(PolledSocket* s) {
  Dequeue(s);
  helpers_.Release(s->helper);
  delete s;
}

void AfdPollSet::FlushUpdates(std::vector<SocketEvent>& events) {
  using Kind = PollState::SubmitResult::Kind;
  // Swapped out first: what is enqueued below waits for the next pass. A
  // socket whose handle's previous owner still has a poll outstanding is
  // dropped from the queue; that poll's final packet puts it back.
  flushing_.clear();
  std::swap(updates_, flushing_);
  for (PolledSocket* s : flushing_) {
    s->queue_index = -1;
    // Re-queued when the previous owner's final packet is dequeued.
    if (BehindPreviousOwner(s)) continue;
    BoundDriver driver(system_, *s);
    const PollState::SubmitResult r = s->poll.Submit(driver);
    // Nothing is reported for an unregistered socket, whose failed cancel
    // this was.
    if ((r.kind == Kind::kEnded || r.kind == Kind::kFailed) &&
        !s->poll.delete_pending()) {
      events.push_back(SocketEvent{s->token, true, false, true});
    }
    // A refused poll (or failed cancel) is tried again at the next pass.
    if (r.kind == Kind::kFailed) Enqueue(s);
  }
}

void AfdPollSet::Complete(const Packet& packet,
                          std::vector<SocketEvent>& events) {
  PolledSocket* s = packet.socket;
  if (packet.update_wake) {
    // Its only purpose was to get here: the polls due are issued by the
    // next FlushUpdates.
    update_wake_pending_ = false;
    return;
  }
  if (s == nullptr) {
    if (has_wake_token_) {
      events.push_back(SocketEvent{wake_token_, true, false, false});
    }
    return;
  }
  const PollResult result = system_.ResultOf(*s);
  const PollState::CompletionResult r = s->poll.OnCompletion(
      result.status, result.number_of_handles, result.events);
  if (r.free_now) {
    // Only an unregistered socket's final packet frees it, and Retire()
    // filed every unregistered socket with a poll outstanding here.
    auto it = unregistering_.find(s->socket);
    assert(it != unregistering_.end() && it->second == s);
    if (it != unregistering_.end() && it->second == s) {
      unregistering_.erase(it);
      // A socket registered again under this handle may be polled now.
      auto again = registered_.find(s->socket);
      if (again != registered_.end() && again->second->poll.WantsSubmit()) {
        Enqueue(again->second);
      }
    }
    Free(s);
    return;
  }
  if (r.readiness.any() || r.ended) {
    events.push_back(SocketEvent{s->token, r.readiness.readable || r.ended,
                                 r.readiness.writable,
                                 r.readiness.error || r.ended});
  }
  if (s->poll.WantsSubmit()) Enqueue(s);
}

absl::Status AfdPollSet::Wait(absl::Duration timeout,
                              std::vector<SocketEvent>& events) {
  events.clear();
  const bool forever = timeout == absl::InfiniteDuration();
  const absl::Time deadline =
      forever ? absl::InfiniteFuture() : absl::Now() + timeout;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      FlushUpdates(events);
      if (!events.empty()) return absl::OkStatus();
      dequeuing_ = true;
    }
    const absl::Duration left =
        forever ? absl::InfiniteDuration()
                : std::max(deadline - absl::Now(), absl::ZeroDuration());
    // Without the lock: control calls from other threads go on meanwhile.
    absl::StatusOr<size_t> n = system_.Dequeue(absl::MakeSpan(packets_), left);
    absl::MutexLock lock(&mu_);
    dequeuing_ = false;
    if (!n.ok()) return n.status();
    for (size_t i = 0; i < *n; ++i) Complete(packets_[i], events);
    // Cancelled and zero-event packets report nothing: wait on within the
    // remaining time.
    if (!events.empty() || *n == 0 || absl::Now() >= deadline) {
      return absl::OkStatus();
    }
  }
}

bool AfdPollSet::Drain(absl::Duration limit) {
  absl::MutexLock lock(&mu_);
  for (auto& [socket, s] : registered_) Retire(s);
  registered_.clear();
  const absl::Time deadline = absl::Now() + limit;
  std::vector<SocketEvent> ignored;
  while (!unregistering_.empty()) {
    FlushUpdates(ignored);  // retries failed cancels
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) break;
    // No other thread calls in during Drain: the lock may stay held.
    absl::StatusOr<size_t> n = system_.Dequeue(absl::MakeSpan(packets_), left);
    if (!n.ok() || *n == 0) break;
    for (size_t i = 0; i < *n; ++i) Complete(packets_[i], ignored);
  }
  return unregistering_.empty();
}

}  // namespace tofu::afd
