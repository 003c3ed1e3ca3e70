#ifndef TOFU_REACTOR_POST_QUEUE_H_
#define TOFU_REACTOR_POST_QUEUE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "message/message.h"
#include "message/message_queue.h"
#include "pool/channel_table.h"
#include "reactor/group_inbox.h"

namespace tofu {

// Post intake's shared state: the queue from the threads that post to the
// thread that runs the reactor's loop, the engine's stopping flag, its groups,
// and the count of channel closes.
//
// Thread-safe. Its lock, mu(), is the reactor's post lock (see the lock order
// in reactor/reactor.h). Methods marked LOCKS_EXCLUDED take it themselves; the
// others are the pieces of a larger critical section their caller holds it
// for (Reactor::Post, Reactor::CloseChannel).
class PostQueue {
 public:
  struct Posted {
    MessagePtr message;        // null for a group command
    GroupInbox* group;         // the posting group
    ChannelToken channel;      // the opening the message was checked against
    absl::Notification* done;  // group destroy: signalled when processed

    // A message posted to the opening `token`, not dispatched or returned.
    bool UnsentTo(ChannelToken token) const {
      return group != nullptr && message != nullptr && channel == token;
    }
  };
  using Groups = absl::flat_hash_map<uint64_t, std::shared_ptr<GroupInbox>>;

  absl::Mutex& mu() ABSL_LOCK_RETURNED(mu_) { return mu_; }

  // Sets the stopping flag: from then on nothing is queued and no group
  // added. True if it was not set yet.
  bool Stop() ABSL_LOCKS_EXCLUDED(mu_);
  bool stopping() const ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_; }

  // Registers `group`; false once stopping.
  bool AddGroup(std::shared_ptr<GroupInbox> group) ABSL_LOCKS_EXCLUDED(mu_);
  void RemoveGroup(uint64_t id) ABSL_LOCKS_EXCLUDED(mu_);
  // Closes `group`'s inbox under the lock, so that a post that takes the lock
  // after this sees it closed, then queues its destroy command (signalling
  // `done` when processed). False, with nothing queued, when stopping or the
  // group is not registered (any more).
  bool QueueDestroy(GroupInbox& group, absl::Notification* done)
      ABSL_LOCKS_EXCLUDED(mu_);

  void Push(Posted posted) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Moves everything queued, in post order, into `batch` (which must be
  // empty) and returns whether stopping; with `unless_stopping`, nothing is
  // moved when stopping.
  bool TakeAll(std::vector<Posted>& batch, bool unless_stopping = false)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Moves the queued messages posted to the opening `token` into `unsent`, in
  // post order; everything else stays queued, in order.
  void TakeUnsent(ChannelToken token, MessageQueue& unsent)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Everything queued, and every group: the engine's end.
  void TakeEverything(std::vector<Posted>& posted, Groups& groups)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Channel closes, counted under mu() once the channel's number is released.
  // A post that reads closes() before it checks its channel's owner, and
  // ClosedSince false under mu() when it queues, knows that no channel closed
  // in between, so its check still holds; otherwise it checks its channel
  // again under mu().
  uint64_t closes() const { return closes_.load(std::memory_order_acquire); }
  bool ClosedSince(uint64_t seen) const ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return closes_.load(std::memory_order_relaxed) != seen;
  }
  void CountClose() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    closes_.fetch_add(1, std::memory_order_release);
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<Posted> posted_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  Groups groups_ ABSL_GUARDED_BY(mu_);
  // Written under mu_; read without it by closes().
  std::atomic<uint64_t> closes_{0};
};

}  // namespace tofu

#endif  // TOFU_REACTOR_POST_QUEUE_H_
