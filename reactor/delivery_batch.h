#ifndef TOFU_REACTOR_DELIVERY_BATCH_H_
#define TOFU_REACTOR_DELIVERY_BATCH_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "message/message.h"
#include "message/message_queue.h"
#include "message/status.h"
#include "pool/message_pool.h"
#include "reactor/engine_counters.h"
#include "reactor/group_inbox.h"

namespace tofu {

// The reactor's delivery batch: what its loop hands the groups (received
// frames, returned posts, engine notifications), collected during a loop
// iteration and handed to each group's inbox at once, with one lock and at
// most one wake-up per group. The wake-ups wait until the loop's thread has
// released the loop (TakeWakes): an application woken while the loop is still
// held would find it busy, and its answer would wait for the I/O thread's next
// iteration instead of going out on its own thread.
//
// Not thread-safe: it belongs to whichever thread runs the reactor's loop, and
// the reactor's io_mu_ guards it.
class DeliveryBatch {
 public:
  // `counters`, if given, counts the messages returned with an error status.
  explicit DeliveryBatch(EngineCounters* counters = nullptr)
      : counters_(counters) {}

  // Queues `message` for `group`, behind what is queued for it already.
  void Deliver(GroupInbox* group, MessagePtr message);
  // Hands `message` back to `group` with `status` and origin engine (arrival
  // returned), behind what is queued for it already.
  void ReturnToApp(GroupInbox* group, MessagePtr message, StatusCode status);
  // Hands each group its queued messages, in order (a closed inbox releases
  // them). Called at the end of each loop iteration and before anything that
  // must follow what is queued. A group whose waiter must be woken is kept
  // for TakeWakes (held by a shared_ptr, so it outlives a destroy that another
  // thread runs meanwhile); one not owned by a shared_ptr is woken at once.
  void Flush();
  // The groups to wake (GroupInbox::WakeWaiter) that Flush kept; the caller
  // wakes them once it has released the loop. Every thread that runs the
  // loop's work must, or a waiter sleeps until its timeout.
  using Wakes = absl::InlinedVector<std::shared_ptr<GroupInbox>, 4>;
  void TakeWakes(Wakes& wakes) { wakes.swap(wakes_); }

  bool empty() const { return pending_.empty(); }

 private:
  struct PendingDelivery {
    GroupInbox* group;
    MessageQueue messages;
  };
  // One entry per group with messages queued; the group delivered to last is
  // at the back, where consecutive deliveries to one group find it at once.
  std::vector<PendingDelivery> pending_;
  Wakes wakes_;
  EngineCounters* const counters_;
};

// Marks `message` as handed back to the application by the engine: `status`,
// origin engine, arrival returned; counted in `counters` (if given) unless
// the status is success.
void MarkReturned(Message& message, StatusCode status,
                  EngineCounters* counters);

// An engine notification: a Signal with `status` about `channel`, whose
// message_id is `message_id`. Taken from `pool` when it has one idle, else made
// outside it (freed when dropped), so that notifications, pool_empty above
// all, never grow the pool past its size.
MessagePtr NewSignal(MessagePool& pool, StatusCode status, uint16_t channel,
                     uint64_t message_id);

}  // namespace tofu

#endif  // TOFU_REACTOR_DELIVERY_BATCH_H_
