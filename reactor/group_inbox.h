#ifndef TOFU_REACTOR_GROUP_INBOX_H_
#define TOFU_REACTOR_GROUP_INBOX_H_

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "message/message.h"
#include "message/message_queue.h"

namespace tofu {

// The FIFO through which a channel group receives everything: peer messages,
// engine notifications, returned messages and UpdateReceiver items. Pushed to
// by any thread (mostly the reactor's); waited on by one application thread at
// a time.
class GroupInbox {
 public:
  explicit GroupInbox(uint64_t id) : id_(id) {}

  uint64_t id() const { return id_; }

  // Appends a message; false (and the message is released) once the inbox is
  // closed.
  bool Push(MessagePtr message);

  // The oldest message; nullptr when `timeout` passes first; shutdown_started
  // once the inbox is closed.
  absl::StatusOr<MessagePtr> Wait(absl::Duration timeout);

  // Wakes the waiter with shutdown_started and releases what is queued.
  // Idempotent.
  void Close();
  bool closed() const;

 private:
  const uint64_t id_;
  mutable absl::Mutex mu_;
  MessageQueue queue_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace tofu

#endif  // TOFU_REACTOR_GROUP_INBOX_H_
