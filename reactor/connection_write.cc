// A connection's outgoing side (see reactor.h): connecting (StartConnect),
// encoding what the channel's lifecycle lets through and writing it with
// vectored writes (Send), an
// out-of-band message put right behind the frame being written
// (RequeueUnstarted), and every channel's poller interest (UpdateInterest).
// Under io_mu_ only.

#include <optional>
#include <utility>
#include <vector>

#include "message/status.h"
#include "reactor/channel_state.h"
#include "reactor/reactor.h"
#include "transport/address.h"

namespace tofu {
namespace {

// Slices per vectored write (IOV_MAX on Linux is 1024).
constexpr size_t kMaxSlices = 1024;
// Bytes queued for one vectored write at most.
constexpr size_t kMaxBatchBytes = 1024 * 1024;

bool IsByeFrame(const Message& m) {
  return TypeOf(m.header().op_code) == MessageType::kBye;
}

// What handing `m` to the encoder tells the channel's lifecycle, if anything.
std::optional<ChannelState::Event> QueuedEvent(const Message& m) {
  switch (m.header().op_code) {
    case OpCode::kByeRequest:
      return ChannelState::Event::kByeRequestQueued;
    case OpCode::kByeResponse:
      return ChannelState::Event::kByeResponseQueued;
    case OpCode::kByeSignal:
      return ChannelState::Event::kByeSignalQueued;
    default:
      return std::nullopt;
  }
}

}  // namespace

void Reactor::StartConnect(ChannelToken token, Channel& ch, MessagePtr hello) {
  // The HelloRequest goes straight to the encoder, so nothing posted later,
  // oob messages included, can be written before it.
  ch.encoder.Add(*hello);
  ch.in_flight.PushBack(std::move(hello));
  absl::StatusOr<Address> address = ParseMessageAddress(*ch.in_flight.front());
  if (address.ok() && address->role != Address::Role::kClient) {
    address = ToAbslStatus(StatusCode::kInvalidAddress,
                           "HelloRequest needs ~connect_to");
  }
  bool connected = false;
  absl::StatusOr<std::unique_ptr<Stream>> stream =
      address.ok() ? network_->Connect(*address, &connected) : address.status();
  if (!stream.ok()) {
    OnChannelEvent(token, ch, ChannelState::Event::kConnectFailed,
                   StatusCodeOf(stream.status()));
    return;
  }
  ch.kind = Channel::Kind::kIo;
  ch.stream = std::move(*stream);
  if (connected) ch.state.On(ChannelState::Event::kConnected);
  channels_.SetHint(token, address->transport == Address::Transport::kUds);
  live_.insert(token.Pack());
  sweeping_.store(timeouts_.any(), std::memory_order_relaxed);
  UpdateInterest(token, ch);
  if (connected) dirty_.push_back(token);
}

bool Reactor::Send(ChannelToken token, Channel& ch) {
  if (ch.state.phase() == ChannelState::Phase::kConnecting) return true;
  IoSlice slices[kMaxSlices];
  while (true) {
    // What the lifecycle lets through (after a bye frame, at most the
    // ByeResponse of a crossed exchange); the rest stays queued.
    while (ch.NextMayEncode() && ch.encoder.slice_bound() + 3 <= kMaxSlices &&
           ch.encoder.pending_bytes() < kMaxBatchBytes) {
      MessagePtr m = ch.send_queue.PopFront();
      const std::optional<ChannelState::Event> queued = QueuedEvent(*m);
      ch.encoder.Add(*m);
      ch.in_flight.PushBack(std::move(m));
      if (queued.has_value()) ch.state.On(*queued);  // never closes
    }
    if (ch.encoder.empty()) break;
    const size_t n = ch.encoder.Gather(absl::MakeSpan(slices));
    const IoResult r = ch.stream->WriteV(absl::MakeConstSpan(slices, n));
    if (r.kind == IoResult::Kind::kWouldBlock) break;
    if (r.kind != IoResult::Kind::kDone) {
      return OnChannelEvent(token, ch, ChannelState::Event::kSendError);
    }
    counters_.BytesOut(r.bytes);
    const size_t frames = ch.encoder.Advance(r.bytes);
    counters_.FramesOut(frames);
    for (size_t done = frames; done > 0; --done) {
      sent_.PushBack(ch.in_flight.PopFront());
    }
  }
  if (ch.LastFrameOut()) {
    return OnChannelEvent(token, ch, ChannelState::Event::kWritten);
  }
  UpdateInterest(token, ch);
  return true;
}

void Reactor::RequeueUnstarted(Channel& ch) {
  const size_t unstarted = ch.encoder.unstarted_count();
  if (unstarted == 0) return;
  // The encoder's frames are in_flight's messages, in order: the last
  // `unstarted` go back to the front of the queue, unless one of them must
  // stay ahead of the oob: a Hello frame (it opens the channel) or a bye
  // frame (the lifecycle counted it as queued, and nothing may pass it).
  const size_t kept = ch.in_flight.size() - unstarted;
  std::vector<MessagePtr> all;
  all.reserve(ch.in_flight.size());
  while (MessagePtr m = ch.in_flight.PopFront()) all.push_back(std::move(m));
  bool movable = true;
  for (size_t i = kept; i < all.size() && movable; ++i) {
    const OpCode op = all[i]->header().op_code;
    movable = op != OpCode::kHelloRequest && op != OpCode::kHelloResponse &&
              !IsByeFrame(*all[i]);
  }
  MessageQueue requeued;
  for (size_t i = 0; i < all.size(); ++i) {
    if (i < kept || !movable) {
      ch.in_flight.PushBack(std::move(all[i]));
    } else {
      requeued.PushBack(std::move(all[i]));
    }
  }
  if (!movable) return;
  ch.encoder.RemoveUnstarted();
  requeued.Splice(ch.send_queue);
  ch.send_queue.Swap(requeued);
}

void Reactor::UpdateInterest(ChannelToken token, Channel& ch) {
  uint32_t interest = kInterestNone;
  if (ch.kind == Channel::Kind::kListener) {
    interest = ch.accept_paused ? kInterestNone : kInterestRead;
  } else if (ch.state.phase() == ChannelState::Phase::kConnecting) {
    interest = kInterestWrite;
  } else {
    // A channel waiting for a partial-frame slot still reads its frame.
    if (ch.hold == Channel::Hold::kNone ||
        ch.hold == Channel::Hold::kPartialCap) {
      interest |= kInterestRead;
    }
    if (!ch.encoder.empty() || ch.NextMayEncode()) {
      interest |= kInterestWrite;
    }
  }
  if (ch.registered && interest == ch.interest) return;
  absl::Status s =
      ch.registered
          ? poller_->Modify(ch.stream->handle(), token.Pack(), interest)
          : poller_->Register(ch.stream->handle(), token.Pack(), interest);
  if (s.ok()) {
    ch.registered = true;
    ch.interest = interest;
  }
}

}  // namespace tofu
