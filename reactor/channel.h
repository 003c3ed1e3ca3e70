#ifndef TOFU_REACTOR_CHANNEL_H_
#define TOFU_REACTOR_CHANNEL_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "message/frame_decoder.h"
#include "message/frame_encoder.h"
#include "message/message_queue.h"
#include "reactor/group_inbox.h"
#include "transport/stream.h"

namespace tofu {

// The reactor's state for one channel. Created when the channel number is
// handed out (on the posting thread for Hello/WelcomeRequest, on the reactor
// thread for accepted connections); from then on touched by the reactor thread
// only.
struct Channel {
  enum class Kind {
    kPending,   // number handed out, its Hello/WelcomeRequest not processed yet
    kListener,  // accepts connections
    kIo,        // a connection (client or accepted)
  };

  Channel(GroupInbox* group, uint64_t opening_id)
      : group(group), opening_id(opening_id) {}

  GroupInbox* group;
  // The message_id of what opened the channel (Hello/WelcomeRequest, or the
  // first message an accepted connection received): the id of the final
  // channel_closed Signal.
  uint64_t opening_id;
  // False for an accepted channel until its first frame gives opening_id.
  bool opening_id_known = true;
  Kind kind = Kind::kPending;
  std::unique_ptr<Stream> stream;  // null until connected or listening
  bool registered = false;
  uint32_t interest = 0;
  bool connecting = false;
  // Listeners: accepting failed (no descriptors); not watched until resumed.
  bool accept_paused = false;
  // accept_failed was reported for the current failure episode.
  bool accept_failure_reported = false;

  // Outgoing: messages not yet handed to the encoder, then the encoder's batch
  // (whose messages sit in `in_flight`, in order).
  MessageQueue send_queue;
  MessageQueue in_flight;
  FrameEncoder encoder;
  // A bye frame was handed to the encoder: nothing is added after it.
  bool bye_queued = false;
  // A bye frame was written: nothing more is sent.
  bool send_closed = false;
  // A ByeResponse was written: the channel closes once it is out.
  bool bye_response_sent = false;

  // Incoming.
  FrameDecoder decoder;
  // The last frame header announced a large body: reads that fetch headers
  // stay short, so the bodies themselves are read straight into messages.
  bool large_bodies = false;
  // Pool starved: bytes read but not decoded yet, kept until messages come
  // back.
  bool starved = false;
  // pool_empty was reported for the current starvation episode.
  bool pool_empty_reported = false;
  // While starved, pending_input[pending_pos...] are the bytes read but not
  // decoded yet; a resume decodes them in place and frees the buffer once
  // they are all decoded.
  std::vector<uint8_t> pending_input;
  size_t pending_pos = 0;
};

}  // namespace tofu

#endif  // TOFU_REACTOR_CHANNEL_H_
