// A connection's outgoing side (see reactor.h): connecting (StartConnect),
// encoding queued messages and writing them with vectored writes (Send), an
// out-of-band message put right behind the frame being written
// (RequeueUnstarted), and every channel's poller interest (UpdateInterest).
// Under io_mu_ only.

#include <utility>
#include <vector>

#include "message/status.h"
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
    CloseChannel(token, ch, StatusCodeOf(stream.status()), /*abort=*/true);
    return;
  }
  ch.kind = Channel::Kind::kIo;
  ch.stream = std::move(*stream);
  ch.connecting = !connected;
  channels_.SetHint(token, address->transport == Address::Transport::kUds);
  live_.insert(token.Pack());
  UpdateInterest(token, ch);
  if (connected) dirty_.push_back(token);
}

bool Reactor::Send(ChannelToken token, Channel& ch) {
  if (ch.connecting) return true;
  IoSlice slices[kMaxSlices];
  while (true) {
    while (!ch.send_closed && !ch.bye_queued && !ch.send_queue.empty() &&
           ch.encoder.slice_bound() + 3 <= kMaxSlices &&
           ch.encoder.pending_bytes() < kMaxBatchBytes) {
      MessagePtr m = ch.send_queue.PopFront();
      // Nothing is sent after a bye frame, even while it is half written.
      ch.bye_queued = IsByeFrame(*m);
      ch.encoder.Add(*m);
      ch.in_flight.PushBack(std::move(m));
    }
    if (ch.encoder.empty()) break;
    const size_t n = ch.encoder.Gather(absl::MakeSpan(slices));
    const IoResult r = ch.stream->WriteV(absl::MakeConstSpan(slices, n));
    if (r.kind == IoResult::Kind::kWouldBlock) break;
    if (r.kind != IoResult::Kind::kDone) {
      CloseChannel(token, ch, StatusCode::kSendFailed, /*abort=*/true);
      return false;
    }
    for (size_t done = ch.encoder.Advance(r.bytes); done > 0; --done) {
      MessagePtr sent = ch.in_flight.PopFront();
      if (IsByeFrame(*sent)) {
        ch.send_closed = true;
        if (sent->header().op_code == OpCode::kByeResponse)
          ch.bye_response_sent = true;
      }
      sent_.PushBack(std::move(sent));
    }
    if (ch.send_closed && ch.encoder.empty()) break;
  }
  if (ch.bye_response_sent && ch.encoder.empty()) {
    // Our ByeResponse is out: the Bye exchange is complete on this side.
    CloseChannel(token, ch, StatusCode::kChannelClosed, /*abort=*/false);
    return false;
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
  // frame at their head (nothing follows a bye).
  const size_t kept = ch.in_flight.size() - unstarted;
  std::vector<MessagePtr> all;
  all.reserve(ch.in_flight.size());
  while (MessagePtr m = ch.in_flight.PopFront()) all.push_back(std::move(m));
  bool movable = !IsByeFrame(*all[kept]);
  for (size_t i = kept; i < all.size() && movable; ++i) {
    const OpCode op = all[i]->header().op_code;
    movable = op != OpCode::kHelloRequest && op != OpCode::kHelloResponse;
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
  ch.bye_queued = false;  // a bye frame among them is queued again
}

void Reactor::UpdateInterest(ChannelToken token, Channel& ch) {
  uint32_t interest = kInterestNone;
  if (ch.kind == Channel::Kind::kListener) {
    interest = ch.accept_paused ? kInterestNone : kInterestRead;
  } else if (ch.connecting) {
    interest = kInterestWrite;
  } else {
    if (!ch.starved) interest |= kInterestRead;
    if (!ch.encoder.empty() ||
        (!ch.send_closed && !ch.bye_queued && !ch.send_queue.empty())) {
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
