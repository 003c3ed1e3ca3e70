#ifndef TOFU_REACTOR_CHANNEL_STATE_H_
#define TOFU_REACTOR_CHANNEL_STATE_H_

// The lifecycle of one connection (a client's or an accepted one), as a unit
// free of system calls: the reactor reports what happened (an Event), and the
// state answers what the reactor must do (a Decision) and what may be written
// (MayEncode). It owns every rule about closing: Bye exchanges, crossing Byes,
// EOF, errors, deadlines, aborts, group destroy and shutdown. Listeners have no
// lifecycle beyond open/closed and do not use it.
//
// Touched only by the thread running the reactor's loop (io_mu_ held).
//
// Phases:
//   kConnecting      client: the connect is under way (its HelloRequest is in
//                    the encoder already)
//   kAwaitingHello   accepted: no complete frame yet; handshake deadline
//   kOpen            frames flow both ways
//   kByeSent         our ByeRequest is queued: nothing but a ByeResponse to
//                    the peer's own ByeRequest follows it; bye deadline
//   kByeReceived     the peer's ByeRequest arrived: the application owes the
//                    ByeResponse (the engine does not answer for it)
//   kByeCrossed      both sides sent a ByeRequest: each owes the other a
//                    ByeResponse; bye deadline
//   kCrossedAnswered crossed, and our ByeResponse is queued: the peer's is
//                    awaited; bye deadline
//   kCrossedPeerDone crossed, and the peer's ByeResponse arrived: ours is
//                    awaited, nothing more is read (Reads()); bye deadline
//   kSignalled       our ByeSignal (oob=0) is queued: nothing more is sent,
//                    the peer's close is awaited; bye deadline
//   kDraining        the last frame is queued: close once it is written;
//                    bye deadline (a peer that stops reading cannot hold it)
//   kClosed          terminal; every later event is ignored
//
// Transition table (phase x event -> next phase, action). "close(r)" closes
// gracefully (the socket's queued frames are written first by the kernel,
// unsent posts come back with status r, then channel_closed); "abort(r)"
// resets the connection instead; "+report" first delivers a Signal with
// status r; "silent" means no notification at all. Every channel the engine
// opened ends with exactly one channel_closed, an accepted one that never
// completed a frame too (with message_id 0).
//
//   kConnecting        kConnected -> kOpen
//   kConnecting        kConnectFailed(r) -> abort(r)
//   kAwaitingHello     kFrame -> kOpen (the peer's first frame names the
//                      channel to the application); any other frame or
//                      queued bye event as in kOpen
//   kOpen              kByeRequestQueued -> kByeSent
//   kOpen              kPeerByeRequest -> kByeReceived
//   kOpen, kByeReceived, kAwaitingHello
//                      kByeResponseQueued -> kDraining
//                      kByeSignalQueued -> kSignalled
//   kByeReceived       kByeRequestQueued -> kByeCrossed
//   kByeSent           kPeerByeRequest -> kByeCrossed
//   kByeCrossed        kByeResponseQueued -> kCrossedAnswered
//   kByeCrossed        kPeerByeResponse -> kCrossedPeerDone
//   kCrossedAnswered   kPeerByeResponse -> kDraining
//   kCrossedPeerDone   kByeResponseQueued -> kDraining
//   kDraining          kWritten -> close(channel_closed)
//   any other live phase
//                      kPeerByeResponse -> close(channel_closed) (the peer
//                      ended the exchange: it sends nothing more)
//   kAwaitingHello, kOpen, kByeReceived, kByeSent, kConnecting
//                      kPeerEof -> close(peer_disconnected)
//   kSignalled, kDraining
//                      kPeerEof -> close(channel_closed)
//   kSignalled         kDeadline -> close(channel_closed) (we said goodbye;
//                      the deadline only bounds the wait for the peer)
//   kByeCrossed, kCrossedAnswered, kCrossedPeerDone
//                      kPeerEof, kPeerEofMidFrame, kRecvError, kSendError
//                      -> close(channel_closed): both sides asked to close,
//                      so the peer's going ends the exchange
//   any other live phase
//                      kDeadline (the bye deadline, or a frame's) ->
//                      abort(communication_failed)+report
//                      kPeerEofMidFrame -> close(recv_failed)
//                      kRecvError -> abort(recv_failed)
//                      kSendError -> abort(send_failed)
//                      kProtocolError(r) -> abort(r)+report
//                      kLocalAbort -> abort(channel_closed)
//                      kGroupDestroyed, kShutdown -> abort(shutdown_started),
//                      silent
//   any other (phase, event) -> no change, no action.
//
// What may be encoded (MayEncode), by phase:
//   kConnecting, kAwaitingHello, kOpen, kByeReceived: anything;
//   kByeSent: nothing (held until the close returns it);
//   kByeCrossed, kCrossedPeerDone: only a ByeResponse;
//   kCrossedAnswered, kSignalled, kDraining, kClosed: nothing.
// A held message stays queued and comes back, with the close's reason, when
// the channel closes; with the deadlines above that is always bounded.

#include <cstdint>

#include "message/opcode.h"
#include "message/status.h"

namespace tofu {

class ChannelState {
 public:
  enum class Phase : uint8_t {
    kConnecting,
    kAwaitingHello,
    kOpen,
    kByeSent,
    kByeReceived,
    kByeCrossed,
    kCrossedAnswered,
    kCrossedPeerDone,
    kSignalled,
    kDraining,
    kClosed,
  };

  enum class Event : uint8_t {
    kConnected,          // the client's connect completed
    kConnectFailed,      // cause: why
    kFrame,              // a complete frame that is not a bye frame
    kPeerByeRequest,     // the peer's ByeRequest arrived
    kPeerByeResponse,    // the peer's ByeResponse arrived
    kByeRequestQueued,   // the application's ByeRequest went to the encoder
    kByeResponseQueued,  // likewise its ByeResponse
    kByeSignalQueued,    // likewise its ByeSignal with oob=0
    kWritten,            // nothing is left to write
    kPeerEof,            // orderly EOF between frames
    kPeerEofMidFrame,    // EOF inside a frame
    kRecvError,          // reading failed (reset, ...)
    kSendError,          // writing failed
    kProtocolError,      // cause: the decoder's error
    kDeadline,           // the deadline of the phase (or a frame's) passed
    kLocalAbort,         // the application posted an oob ByeSignal
    kGroupDestroyed,     // its group is being destroyed
    kShutdown,           // the engine is shutting down
  };

  enum class Close : uint8_t { kNone, kGraceful, kAbort };

  // Which deadline the reactor should run for the channel's phase.
  enum class Deadline : uint8_t { kNone, kHandshake, kBye };

  struct Decision {
    Close close = Close::kNone;
    // Status of the messages returned unsent (and of the reported Signal).
    StatusCode reason = StatusCode::kSuccess;
    // Deliver a Signal with `reason` before the unsent messages.
    bool report = false;
    // Deliver the unsent messages and channel_closed at all.
    bool notify = true;
  };

  // A client's channel starts kConnecting, an accepted one kAwaitingHello.
  static ChannelState Client() { return ChannelState(Phase::kConnecting); }
  static ChannelState Accepted() {
    ChannelState s(Phase::kAwaitingHello);
    s.accepted_ = true;
    return s;
  }

  Phase phase() const { return phase_; }
  bool closed() const { return phase_ == Phase::kClosed; }
  Deadline deadline() const;
  // Whether a message with `op` may be handed to the encoder now.
  bool MayEncode(OpCode op) const;
  // Whether the application knows the channel: false for an accepted one
  // until its peer's first frame arrives (whatever the application posted to
  // its number meanwhile), whose message_id then names it.
  bool Known() const;
  // Whether the peer may still send frames: false once its ByeResponse ended
  // a crossed exchange (kCrossedPeerDone), after which nothing is read.
  bool Reads() const { return phase_ != Phase::kCrossedPeerDone; }

  // Applies `event`; `cause` is the status for kConnectFailed and
  // kProtocolError. A decision to close moves the state to kClosed.
  Decision On(Event event, StatusCode cause = StatusCode::kSuccess);

 private:
  explicit ChannelState(Phase phase) : phase_(phase) {}
  Decision Finish(Close close, StatusCode reason, bool report = false,
                  bool notify = true);

  Phase phase_;
  bool accepted_ = false;  // opened by a listener
  bool heard_ = false;     // a frame from the peer arrived
};

const char* PhaseName(ChannelState::Phase phase);
const char* EventName(ChannelState::Event event);

}  // namespace tofu

#endif  // TOFU_REACTOR_CHANNEL_STATE_H_
