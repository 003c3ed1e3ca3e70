#ifndef TOFU_TOFU_RECEIVED_H_
#define TOFU_TOFU_RECEIVED_H_

// What a message from ChannelGroup::WaitReceive is. Included by tofu/tofu.h;
// applications include that.

#include <cstdint>

#include "message/message.h"
#include "message/opcode.h"
#include "message/status.h"

namespace tofu {

// The answer of Classify. Built from Message::arrival(), which the engine sets
// and no peer can forge; never from the status byte, which a peer's frame may
// set to anything.
struct Received {
  enum class Kind {
    // Not delivered by an engine (a new message, or one the application made).
    kNone,
    // A frame a peer sent: op_code says what it is; status is the peer's.
    kFrame,
    // A Signal the engine made; `notification` says which.
    kNotification,
    // One of the application's own messages back from the engine. `status` is
    // why: the reason its channel closed before it was written
    // (channel_closed, peer_disconnected, send_failed, ...), why it could not
    // be used (not_allowed), or how a HelloRequest's connect failed
    // (connect_failed, invalid_address, uds_path_not_found). One case is not
    // a failure: a WelcomeRequest comes back as a WelcomeResponse with status
    // success once its listener is ready (ListenAddressOf gives the address).
    kReturned,
    // What ChannelGroup::UpdateReceiver put in the inbox: the application's
    // message, or (for nullptr) a Signal on channel 0.
    kReceiverUpdate,
  };
  // For kNotification: which one.
  enum class Notification {
    kNone,
    // The channel is closed: its unsent messages came back before this, and
    // after it only the application's own later posts to it arrive
    // (returned, status channel_closed).
    kChannelClosed,
    // The channel stopped reading: the pool has no message to read into.
    // Reading resumes by itself when messages go back to the pool. Once per
    // episode.
    kPoolEmpty,
    // A listener could not accept (status accept_failed: out of descriptors
    // or memory) and pauses for a moment. Once per episode.
    kAcceptPaused,
    // The channel failed: the peer broke the protocol (status invalid_*), or a
    // deadline passed (communication_failed). Its channel_closed follows.
    kChannelFailed,
  };

  Kind kind = Kind::kNone;
  Notification notification = Notification::kNone;
  StatusCode status = StatusCode::kSuccess;
  OpCode op_code = OpCode::kRequest;
  uint16_t channel_number = 0;
};

// What `message` is; see Received. Cheap (no allocation); any thread that
// holds the message.
Received Classify(const Message& message);

}  // namespace tofu

#endif  // TOFU_TOFU_RECEIVED_H_
