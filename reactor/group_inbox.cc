#include "reactor/group_inbox.h"

#include <algorithm>
#include <thread>
#include <utility>

#include "absl/time/clock.h"
#include "message/status.h"

namespace tofu {

GroupInbox::GroupInbox(uint64_t id, absl::Duration spin,
                       std::function<void()> on_block)
    : id_(id), spin_(spin), on_block_(std::move(on_block)) {
  // A reserve message back (its frame read and dropped, or its channel
  // closed mid-frame) may be what a still-blocked group needs again.
  if (on_block_) reserve_.SetRefillCallback(on_block_);
}

bool GroupInbox::Append(MessageQueue& batch, bool* closed) {
  absl::MutexLock lock(&mu_);
  *closed = closed_;
  if (closed_) return false;
  queue_.Splice(batch);
  nonempty_.store(true, std::memory_order_release);
  blocked_.store(false, std::memory_order_seq_cst);
  return waiting_;
}

bool GroupInbox::Push(MessagePtr message) {
  MessageQueue one;
  one.PushBack(std::move(message));
  bool wake = false;
  const bool open = PushAllDeferringWake(one, &wake);
  if (wake) ready_.Signal();
  return open;
}

bool GroupInbox::PushAllDeferringWake(MessageQueue& batch, bool* wake) {
  bool closed = false;
  *wake = Append(batch, &closed);
  batch.Clear();  // released outside the lock when the inbox is closed
  return !closed;
}

absl::StatusOr<MessagePtr> GroupInbox::Wait(absl::Duration timeout) {
  if (closed_flag_.load(std::memory_order_acquire)) {
    taken_.Clear();
    return ToAbslStatus(StatusCode::kShutdownStarted);
  }
  if (!taken_.empty()) return taken_.PopFront();
  if (spin_ > absl::ZeroDuration() && timeout > absl::ZeroDuration()) {
    Spin(absl::Now() + std::min(spin_, timeout));
  }
  {
    absl::MutexLock lock(&mu_);
    if (queue_.empty() && !closed_ && timeout > absl::ZeroDuration()) {
      const absl::Time deadline = timeout == absl::InfiniteDuration()
                                      ? absl::InfiniteFuture()
                                      : absl::Now() + timeout;
      waiting_ = true;
      blocked_.store(true, std::memory_order_seq_cst);
      if (on_block_) on_block_();
      while (queue_.empty() && !closed_) {
        if (ready_.WaitWithDeadline(&mu_, deadline)) break;  // timed out
      }
      waiting_ = false;
      blocked_.store(false, std::memory_order_seq_cst);
    }
    if (!closed_) {
      taken_.Swap(queue_);
      nonempty_.store(false, std::memory_order_relaxed);
    }
  }
  if (closed_flag_.load(std::memory_order_acquire)) {
    taken_.Clear();
    return ToAbslStatus(StatusCode::kShutdownStarted);
  }
  return taken_.PopFront();  // null when the timeout passed
}

void GroupInbox::Spin(absl::Time until) const {
  for (int i = 1;; ++i) {
    if (nonempty_.load(std::memory_order_acquire) ||
        closed_flag_.load(std::memory_order_acquire)) {
      return;
    }
    if (i % 16 == 0 && absl::Now() >= until) return;
    std::this_thread::yield();
  }
}

void GroupInbox::Close() {
  MessageQueue dropped;
  bool wake = false;
  {
    absl::MutexLock lock(&mu_);
    closed_ = true;
    closed_flag_.store(true, std::memory_order_release);
    dropped.Swap(queue_);
    wake = waiting_;
  }
  if (wake) ready_.SignalAll();
}

bool GroupInbox::closed() const {
  return closed_flag_.load(std::memory_order_acquire);
}

}  // namespace tofu
