#include "reactor/channel_state.h"

namespace tofu {

using Phase = ChannelState::Phase;
using Event = ChannelState::Event;

ChannelState::Deadline ChannelState::deadline() const {
  switch (phase_) {
    case Phase::kAwaitingHello:
      return Deadline::kHandshake;
    case Phase::kByeSent:
    case Phase::kByeCrossed:
    case Phase::kCrossedAnswered:
    case Phase::kCrossedPeerDone:
    case Phase::kSignalled:
    case Phase::kDraining:
      return Deadline::kBye;
    default:
      return Deadline::kNone;
  }
}

bool ChannelState::MayEncode(OpCode op) const {
  switch (phase_) {
    case Phase::kConnecting:
    case Phase::kAwaitingHello:
    case Phase::kOpen:
    case Phase::kByeReceived:
      return true;
    case Phase::kByeCrossed:
    case Phase::kCrossedPeerDone:
      return op == OpCode::kByeResponse;
    default:
      return false;
  }
}

bool ChannelState::Known() const { return !accepted_ || heard_; }

ChannelState::Decision ChannelState::Finish(Close close, StatusCode reason,
                                            bool report, bool notify) {
  phase_ = Phase::kClosed;
  return Decision{close, reason, report, notify};
}

ChannelState::Decision ChannelState::On(Event event, StatusCode cause) {
  if (phase_ == Phase::kClosed) return {};
  if (event == Event::kFrame || event == Event::kPeerByeRequest ||
      event == Event::kPeerByeResponse) {
    heard_ = true;
  }
  const bool crossed = phase_ == Phase::kByeCrossed ||
                       phase_ == Phase::kCrossedAnswered ||
                       phase_ == Phase::kCrossedPeerDone;
  switch (event) {
    case Event::kConnected:
      if (phase_ == Phase::kConnecting) phase_ = Phase::kOpen;
      return {};
    case Event::kConnectFailed:
      return Finish(Close::kAbort, cause);
    case Event::kFrame:
      if (phase_ == Phase::kAwaitingHello) phase_ = Phase::kOpen;
      return {};
    case Event::kPeerByeRequest:
      if (phase_ == Phase::kOpen || phase_ == Phase::kAwaitingHello) {
        phase_ = Phase::kByeReceived;
      } else if (phase_ == Phase::kByeSent) {
        phase_ = Phase::kByeCrossed;
      }
      return {};
    case Event::kPeerByeResponse:
      switch (phase_) {
        case Phase::kByeCrossed:
          phase_ = Phase::kCrossedPeerDone;
          return {};
        case Phase::kCrossedAnswered:
          phase_ = Phase::kDraining;
          return {};
        default:
          // Receiving a ByeResponse closes the channel on the receiver: the
          // peer sends nothing more.
          return Finish(Close::kGraceful, StatusCode::kChannelClosed);
      }
    case Event::kByeRequestQueued:
      if (phase_ == Phase::kOpen || phase_ == Phase::kAwaitingHello) {
        phase_ = Phase::kByeSent;
      } else if (phase_ == Phase::kByeReceived) {
        phase_ = Phase::kByeCrossed;
      }
      return {};
    case Event::kByeResponseQueued:
      switch (phase_) {
        case Phase::kAwaitingHello:
        case Phase::kOpen:
        case Phase::kByeReceived:
        case Phase::kCrossedPeerDone:
          phase_ = Phase::kDraining;
          break;
        case Phase::kByeCrossed:
          phase_ = Phase::kCrossedAnswered;
          break;
        default:
          break;
      }
      return {};
    case Event::kByeSignalQueued:
      if (phase_ == Phase::kOpen || phase_ == Phase::kAwaitingHello ||
          phase_ == Phase::kByeReceived) {
        phase_ = Phase::kSignalled;
      }
      return {};
    case Event::kWritten:
      if (phase_ == Phase::kDraining) {
        return Finish(Close::kGraceful, StatusCode::kChannelClosed);
      }
      return {};
    case Event::kPeerEof:
      if (crossed || phase_ == Phase::kSignalled ||
          phase_ == Phase::kDraining) {
        return Finish(Close::kGraceful, StatusCode::kChannelClosed);
      }
      return Finish(Close::kGraceful, StatusCode::kPeerDisconnected);
    case Event::kPeerEofMidFrame:
    case Event::kRecvError:
    case Event::kSendError: {
      const StatusCode reason = event == Event::kSendError
                                    ? StatusCode::kSendFailed
                                    : StatusCode::kRecvFailed;
      if (crossed) return Finish(Close::kGraceful, StatusCode::kChannelClosed);
      return Finish(
          event == Event::kPeerEofMidFrame ? Close::kGraceful : Close::kAbort,
          reason);
    }
    case Event::kProtocolError:
      return Finish(Close::kAbort, cause, /*report=*/true);
    case Event::kDeadline:
      if (phase_ == Phase::kSignalled) {
        return Finish(Close::kGraceful, StatusCode::kChannelClosed);
      }
      return Finish(Close::kAbort, StatusCode::kCommunicationFailed,
                    /*report=*/true);
    case Event::kLocalAbort:
      return Finish(Close::kAbort, StatusCode::kChannelClosed);
    case Event::kGroupDestroyed:
    case Event::kShutdown:
      return Finish(Close::kAbort, StatusCode::kShutdownStarted, false,
                    /*notify=*/false);
  }
  return {};
}

const char* PhaseName(Phase phase) {
  switch (phase) {
    case Phase::kConnecting:
      return "connecting";
    case Phase::kAwaitingHello:
      return "awaiting_hello";
    case Phase::kOpen:
      return "open";
    case Phase::kByeSent:
      return "bye_sent";
    case Phase::kByeReceived:
      return "bye_received";
    case Phase::kByeCrossed:
      return "bye_crossed";
    case Phase::kCrossedAnswered:
      return "crossed_answered";
    case Phase::kCrossedPeerDone:
      return "crossed_peer_done";
    case Phase::kSignalled:
      return "signalled";
    case Phase::kDraining:
      return "draining";
    case Phase::kClosed:
      return "closed";
  }
  return "?";
}

const char* EventName(Event event) {
  switch (event) {
    case Event::kConnected:
      return "connected";
    case Event::kConnectFailed:
      return "connect_failed";
    case Event::kFrame:
      return "frame";
    case Event::kPeerByeRequest:
      return "peer_bye_request";
    case Event::kPeerByeResponse:
      return "peer_bye_response";
    case Event::kByeRequestQueued:
      return "bye_request_queued";
    case Event::kByeResponseQueued:
      return "bye_response_queued";
    case Event::kByeSignalQueued:
      return "bye_signal_queued";
    case Event::kWritten:
      return "written";
    case Event::kPeerEof:
      return "peer_eof";
    case Event::kPeerEofMidFrame:
      return "peer_eof_mid_frame";
    case Event::kRecvError:
      return "recv_error";
    case Event::kSendError:
      return "send_error";
    case Event::kProtocolError:
      return "protocol_error";
    case Event::kDeadline:
      return "deadline";
    case Event::kLocalAbort:
      return "local_abort";
    case Event::kGroupDestroyed:
      return "group_destroyed";
    case Event::kShutdown:
      return "shutdown";
  }
  return "?";
}

}  // namespace tofu
