#include "tofu/received.h"

namespace tofu {
namespace {

Received::Notification NotificationOf(StatusCode status) {
  switch (status) {
    case StatusCode::kChannelClosed:
      return Received::Notification::kChannelClosed;
    case StatusCode::kPoolEmpty:
      return Received::Notification::kPoolEmpty;
    case StatusCode::kAcceptFailed:
      return Received::Notification::kAcceptPaused;
    default:
      return Received::Notification::kChannelFailed;
  }
}

}  // namespace

Received Classify(const Message& message) {
  const BinaryHeader& h = message.header();
  Received r;
  r.status = h.status;
  r.op_code = h.op_code;
  r.channel_number = h.channel_number;
  switch (message.arrival()) {
    case Arrival::kNone:
      r.kind = Received::Kind::kNone;
      break;
    case Arrival::kFrame:
      r.kind = Received::Kind::kFrame;
      break;
    case Arrival::kNotification:
      r.kind = Received::Kind::kNotification;
      r.notification = NotificationOf(h.status);
      break;
    case Arrival::kReturned:
      r.kind = Received::Kind::kReturned;
      break;
    case Arrival::kReceiverUpdate:
      r.kind = Received::Kind::kReceiverUpdate;
      break;
  }
  return r;
}

}  // namespace tofu
