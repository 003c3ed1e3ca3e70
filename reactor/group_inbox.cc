#include "reactor/group_inbox.h"

#include <utility>

#include "message/status.h"

namespace tofu {

bool GroupInbox::Push(MessagePtr message) {
  absl::MutexLock lock(&mu_);
  if (closed_) return false;
  queue_.PushBack(std::move(message));
  return true;
}

absl::StatusOr<MessagePtr> GroupInbox::Wait(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return closed_ || !queue_.empty();
  };
  mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  if (closed_) return ToAbslStatus(StatusCode::kShutdownStarted);
  return queue_.PopFront();
}

void GroupInbox::Close() {
  MessageQueue dropped;
  absl::MutexLock lock(&mu_);
  closed_ = true;
  dropped.Swap(queue_);
}

bool GroupInbox::closed() const {
  absl::MutexLock lock(&mu_);
  return closed_;
}

}  // namespace tofu
