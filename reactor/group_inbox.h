#ifndef TOFU_REACTOR_GROUP_INBOX_H_
#define TOFU_REACTOR_GROUP_INBOX_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "message/message.h"
#include "message/message_queue.h"
#include "pool/message_pool.h"

namespace tofu {

// The FIFO through which a channel group receives everything: peer messages,
// engine notifications, returned messages and UpdateReceiver items. Pushed to
// by any thread (mostly the reactor's); waited on by one application thread at
// a time.
class GroupInbox : public std::enable_shared_from_this<GroupInbox> {
 public:
  // Wait spins for up to `spin` (yielding the CPU) before it sleeps: a
  // message that arrives meanwhile is taken without a thread wake-up.
  // `on_block` runs each time a Wait is about to sleep on an empty inbox (on
  // the waiting thread, with the inbox's lock held: it must be quick and must
  // not call into the inbox), and when the group's reserve message comes back;
  // the engine uses it to give a group that waits for nothing a frame from
  // its reserve.
  explicit GroupInbox(uint64_t id, absl::Duration spin = absl::ZeroDuration(),
                      std::function<void()> on_block = nullptr);

  uint64_t id() const { return id_; }

  // Appends a message and wakes the waiter; false (and the message is
  // released) once the inbox is closed.
  bool Push(MessagePtr message);
  // Appends every message of `batch` in order, leaving it empty, with one
  // lock; false (all released) once closed. The wake-up is the caller's:
  // `*wake` says whether a waiter must be woken with WakeWaiter(), which the
  // caller does once it has released its own locks (the engine's loop: so
  // that the woken application finds the loop free and its answer goes out
  // on its own thread).
  bool PushAllDeferringWake(MessageQueue& batch, bool* wake);
  void WakeWaiter() { ready_.Signal(); }

  // The oldest message; nullptr when `timeout` passes first; shutdown_started
  // once the inbox is closed.
  absl::StatusOr<MessagePtr> Wait(absl::Duration timeout);

  // Wakes the waiter with shutdown_started and releases what is queued.
  // Idempotent.
  void Close();
  bool closed() const;
  // Whether the application is blocked in Wait with nothing queued for it:
  // it cannot make progress until the engine delivers something. Any thread.
  // Sequentially consistent, with the engine's "channels are starved" flag
  // read by on_block: either the engine sees the waiter blocked, or the
  // waiter's on_block sees channels starved.
  bool blocked() const { return blocked_.load(std::memory_order_seq_cst); }
  // The group's reserve: one message of its own, outside the engine's pool,
  // for the engine to read a frame into while the application is blocked on
  // an empty inbox and the pool has none idle, so that a group whose
  // application waits for nothing is never starved by messages other groups
  // leave unread. Null unless blocked() and the reserve message is back (at
  // most one is out at a time: the bound is one message per group). Called by
  // the engine's loop only.
  MessagePtr TakeReserve() {
    if (!blocked()) return nullptr;
    return reserve_.Get(AllocationStrategy::kPoolOnly);
  }

 private:
  // Appends under mu_; true if a waiter must be woken.
  bool Append(MessageQueue& batch, bool* closed);

  // Spins until something is queued, the inbox closes or `until` passes.
  void Spin(absl::Time until) const;

  const uint64_t id_;
  const absl::Duration spin_;
  const std::function<void()> on_block_;
  MessagePool reserve_{PoolOptions{.initial = 1, .max = 1}};
  mutable absl::Mutex mu_;
  absl::CondVar ready_;
  MessageQueue queue_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool waiting_ ABSL_GUARDED_BY(mu_) = false;  // a Wait is blocked
  // Set with closed_, read by Wait without the lock.
  std::atomic<bool> closed_flag_{false};
  // Whether queue_ has messages: written under mu_, spun on without it.
  std::atomic<bool> nonempty_{false};
  // waiting_ with an empty queue: set under mu_, read by the engine without.
  std::atomic<bool> blocked_{false};
  // The waiting thread's side: everything queued is taken in one swap and
  // handed out from here without the lock. Touched by that thread only (one
  // waiter at a time); released by it after Close, or by the destructor.
  MessageQueue taken_;
};

}  // namespace tofu

#endif  // TOFU_REACTOR_GROUP_INBOX_H_
