// Post intake's shared state (see post_queue.h): any thread, under its lock.
#include "reactor/post_queue.h"

#include <algorithm>
#include <utility>

namespace tofu {

bool PostQueue::Stop() {
  absl::MutexLock lock(&mu_);
  const bool first = !stopping_;
  stopping_ = true;
  return first;
}

bool PostQueue::AddGroup(std::shared_ptr<GroupInbox> group) {
  absl::MutexLock lock(&mu_);
  if (stopping_) return false;
  const uint64_t id = group->id();
  groups_[id] = std::move(group);
  return true;
}

void PostQueue::RemoveGroup(uint64_t id) {
  absl::MutexLock lock(&mu_);
  groups_.erase(id);
}

bool PostQueue::QueueDestroy(GroupInbox& group, absl::Notification* done) {
  absl::MutexLock lock(&mu_);
  group.Close();
  if (stopping_ || !groups_.contains(group.id())) return false;
  posted_.push_back(Posted{nullptr, &group, ChannelToken(), done});
  return true;
}

void PostQueue::Push(Posted posted) { posted_.push_back(std::move(posted)); }

bool PostQueue::TakeAll(std::vector<Posted>& batch, bool unless_stopping) {
  absl::MutexLock lock(&mu_);
  if (stopping_ && unless_stopping) return true;
  batch.swap(posted_);
  return stopping_;
}

void PostQueue::TakeUnsent(ChannelToken token, MessageQueue& unsent) {
  auto is_unsent = [token](const Posted& p) { return p.UnsentTo(token); };
  if (std::none_of(posted_.begin(), posted_.end(), is_unsent)) return;
  std::vector<Posted> kept;
  for (Posted& p : posted_) {
    if (is_unsent(p)) {
      unsent.PushBack(std::move(p.message));
    } else {
      kept.push_back(std::move(p));
    }
  }
  posted_.swap(kept);
}

void PostQueue::TakeEverything(std::vector<Posted>& posted, Groups& groups) {
  absl::MutexLock lock(&mu_);
  posted.swap(posted_);
  groups.swap(groups_);
}

}  // namespace tofu
