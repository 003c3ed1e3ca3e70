// The reactor's delivery batch (see delivery_batch.h): touched only by the
// thread that runs the reactor's loop, under its io_mu_.
#include "reactor/delivery_batch.h"

#include <algorithm>
#include <utility>

namespace tofu {

void DeliveryBatch::Deliver(GroupInbox* group, MessagePtr message) {
  if (pending_.empty() || pending_.back().group != group) {
    auto it = std::find_if(
        pending_.begin(), pending_.end(),
        [group](const PendingDelivery& d) { return d.group == group; });
    if (it == pending_.end()) {
      pending_.push_back(PendingDelivery{group, MessageQueue()});
    } else {
      std::iter_swap(it, pending_.end() - 1);
    }
  }
  pending_.back().messages.PushBack(std::move(message));
}

void DeliveryBatch::ReturnToApp(GroupInbox* group, MessagePtr message,
                                StatusCode status) {
  MarkReturned(*message, status, counters_);
  Deliver(group, std::move(message));
}

void MarkReturned(Message& message, StatusCode status,
                  EngineCounters* counters) {
  message.header().status = status;
  message.header().origin = Origin::kEngine;
  message.set_arrival(Arrival::kReturned);
  if (counters != nullptr && status != StatusCode::kSuccess) {
    counters->MessageReturned();
  }
}

void DeliveryBatch::Flush() {
  for (PendingDelivery& d : pending_) {
    bool wake = false;
    d.group->PushAllDeferringWake(d.messages, &wake);
    if (!wake) continue;
    if (std::shared_ptr<GroupInbox> owned = d.group->weak_from_this().lock()) {
      wakes_.push_back(std::move(owned));
    } else {
      d.group->WakeWaiter();
    }
  }
  pending_.clear();
}

MessagePtr NewSignal(MessagePool& pool, StatusCode status, uint16_t channel,
                     uint64_t message_id) {
  MessagePtr m = pool.Get(AllocationStrategy::kPoolOnly);
  if (m == nullptr) m = Message::Create();
  BinaryHeader& h = m->header();
  h.op_code = OpCode::kSignal;
  h.origin = Origin::kEngine;
  h.status = status;
  h.channel_number = channel;
  h.message_id = message_id;
  m->set_arrival(Arrival::kNotification);
  return m;
}

}  // namespace tofu
