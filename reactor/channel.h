#ifndef TOFU_REACTOR_CHANNEL_H_
#define TOFU_REACTOR_CHANNEL_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "message/frame_decoder.h"
#include "message/frame_encoder.h"
#include "message/message_queue.h"
#include "reactor/channel_state.h"
#include "reactor/deadlines.h"
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
  Kind kind = Kind::kPending;
  // A connection's lifecycle (kIo, and kPending on its way to a connection):
  // every rule about what may be written and when it closes.
  ChannelState state = ChannelState::Client();
  // The deadline sweep's view of the channel (reactor/deadlines.h).
  ChannelClock clock;
  std::unique_ptr<Stream> stream;  // null until connected or listening
  bool registered = false;
  uint32_t interest = 0;
  // Listeners: accepting failed (no descriptors); not watched until resumed.
  bool accept_paused = false;
  // accept_failed was reported for the current failure episode.
  bool accept_failure_reported = false;

  // Outgoing: messages not yet handed to the encoder, then the encoder's batch
  // (whose messages sit in `in_flight`, in order). What the state does not let
  // through stays queued and comes back when the channel closes.
  MessageQueue send_queue;
  MessageQueue in_flight;
  FrameEncoder encoder;
  // The next queued message is one the lifecycle lets out now.
  bool NextMayEncode() const {
    return !send_queue.empty() &&
           state.MayEncode(send_queue.front()->header().op_code);
  }
  // Draining, and its last frame is out: the Bye exchange is complete on
  // this side.
  bool LastFrameOut() const {
    return state.phase() == ChannelState::Phase::kDraining && encoder.empty();
  }

  // Incoming.
  FrameDecoder decoder;
  // Frames received so far (the frame deadline tells a stalled frame from a
  // stream of them).
  uint64_t frames_in = 0;
  // The frame being received holds one of the pool messages that incomplete
  // frames may hold (Reactor::partials_).
  bool holds_partial = false;
  // The last frame header announced a large body: reads that fetch headers
  // stay short, so the bodies themselves are read straight into messages.
  bool large_bodies = false;
  // Why reading is held back (bytes read but not decoded are kept meanwhile):
  // the pool had no message for the next frame, or incomplete frames already
  // hold their share of the pool (Reactor::partials_).
  // kPeerDone: the peer's last frame came (ChannelState::Reads() is false):
  // nothing more is read or delivered.
  enum class Hold { kNone, kPoolEmpty, kPartialCap, kPeerDone };
  Hold hold = Hold::kNone;
  bool held() const { return hold != Hold::kNone; }
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
