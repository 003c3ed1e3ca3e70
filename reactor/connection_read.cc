// A connection's incoming side (see reactor.h): reading, decoding frames into
// pool messages and delivering them, and pool starvation: the bytes not
// decoded are kept while the pool has no message, and decoded once enough
// came back (ResumeDue, ResumeStarved). Under io_mu_ only.

#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

#include "message/status.h"
#include "reactor/reactor.h"

namespace tofu {
namespace {

// Reads per readiness event at most, so one busy channel cannot starve the
// rest.
constexpr int kReadsPerEvent = 4;
// A body with at least this much still to come is read straight into its
// message rather than through the read buffer.
constexpr size_t kDirectReadMin = 16 * 1024;
// The read buffer's share of a read while large bodies flow: a header and the
// start of its body.
constexpr size_t kHeaderReadSize = 4 * 1024;

}  // namespace

bool Reactor::ReadFrom(ChannelToken token, Channel& ch) {
  IoResult r;
  for (int i = 0; i < kReadsPerEvent; ++i) {
    if (ch.starved) return true;
    // A large body still to come is read straight into its message, and what
    // follows it into read_buffer_, in the same call; read_buffer_'s share
    // stays short while large bodies flow (see Channel::large_bodies), so the
    // next body is mostly read directly too.
    absl::Span<uint8_t> body = ch.decoder.BodyRemainder();
    if (body.size() < kDirectReadMin) body = {};
    const absl::Span<uint8_t> buffer(
        read_buffer_.data(),
        ch.large_bodies ? kHeaderReadSize : read_buffer_.size());
    r = ch.stream->ReadSome(body.empty() ? buffer : body,
                            body.empty() ? absl::Span<uint8_t>() : buffer);
    if (r.kind != IoResult::Kind::kDone) break;
    const size_t direct = std::min(r.bytes, body.size());
    if (direct > 0) ch.decoder.CommitBody(direct);
    if (!Consume(token, ch, buffer.data(), r.bytes - direct)) return false;
    // A short read emptied the socket; a full one may have left more.
    if (r.bytes < body.size() + buffer.size()) return true;
  }
  switch (r.kind) {
    case IoResult::Kind::kDone:
    case IoResult::Kind::kWouldBlock:
      return true;
    case IoResult::Kind::kClosed:
      CloseChannel(token, ch,
                   ch.decoder.at_frame_boundary()
                       ? StatusCode::kPeerDisconnected
                       : StatusCode::kRecvFailed,
                   /*abort=*/false);
      return false;
    case IoResult::Kind::kError:
      CloseChannel(token, ch, StatusCode::kRecvFailed, /*abort=*/true);
      return false;
  }
  return true;
}

bool Reactor::Consume(ChannelToken token, Channel& ch, const uint8_t* data,
                      size_t size, bool from_pending) {
  size_t pos = 0;
  while (true) {
    switch (ch.decoder.state()) {
      case FrameDecoder::State::kNeedMessage: {
        if (spare_.empty()) {
          // No more than the frames that can start in what is left (one for
          // a frame in progress), so a small read leaves the pool alone.
          pool_.GetBatch(
              std::min(kSpareBatch, (size - pos) / kBinaryHeaderSize + 1),
              spare_);
        }
        MessagePtr m = spare_.PopFront();
        if (m == nullptr) {
          // Starved: keep the rest, stop reading, tell the application once.
          if (from_pending) {
            ch.pending_pos = (data + pos) - ch.pending_input.data();
          } else {
            ch.pending_input.assign(data + pos, data + size);
            ch.pending_pos = 0;
          }
          if (!ch.starved) {
            ch.starved = true;
            starved_.push_back(token);
            UpdateInterest(token, ch);
          }
          if (!ch.pool_empty_reported) {
            ch.pool_empty_reported = true;
            deliveries_.Deliver(
                ch.group,
                NewSignal(pool_, StatusCode::kPoolEmpty, token.number, 0));
          }
          return true;
        }
        ch.large_bodies =
            ch.decoder.pending_header().body_length >= kDirectReadMin;
        ch.decoder.Provide(std::move(m));
        break;
      }
      case FrameDecoder::State::kFrameReady: {
        MessagePtr m = ch.decoder.TakeFrame();
        BinaryHeader& h = m->header();
        // A peer cannot forge engine notifications, and channel numbers are
        // local.
        h.origin = Origin::kApplication;
        h.channel_number = token.number;
        h.status = StatusCodeFromByte(static_cast<uint8_t>(h.status));
        m->set_arrival(Arrival::kFrame);
        if (!ch.opening_id_known) {
          ch.opening_id = h.message_id;
          ch.opening_id_known = true;
        }
        const bool bye_response = h.op_code == OpCode::kByeResponse;
        deliveries_.Deliver(ch.group, std::move(m));
        delivered_frames_ = true;
        if (bye_response) {
          CloseChannel(token, ch, StatusCode::kChannelClosed, /*abort=*/false);
          return false;
        }
        break;
      }
      case FrameDecoder::State::kFailed:
        // Protocol violation: say so, then close this channel only.
        deliveries_.Deliver(ch.group, NewSignal(pool_, ch.decoder.error(),
                                                token.number, ch.opening_id));
        CloseChannel(token, ch, ch.decoder.error(), /*abort=*/true);
        return false;
      case FrameDecoder::State::kNeedBytes:
        if (pos == size) {
          // Nothing is kept: a resumed channel gives its buffer back.
          if (from_pending) std::vector<uint8_t>().swap(ch.pending_input);
          ch.pending_pos = 0;
          return true;
        }
        pos += ch.decoder.Feed(absl::MakeConstSpan(data + pos, size - pos));
        break;
    }
  }
}

bool Reactor::ResumeDue() {
  if (resume_batch_ <= 1) return true;
  const size_t idle = pool_.stats().idle;
  // None idle: the attempt finds the pool empty, and that miss makes the
  // next returned message wake us.
  bool due = idle == 0 || idle >= resume_batch_;
  if (!due) {
    // A monotonic clock: a wall clock stepped back would hold the reader.
    const auto now = std::chrono::steady_clock::now();
    if (!resume_waiting_.load(std::memory_order_relaxed)) {
      resume_at_ = now + absl::ToChronoNanoseconds(kResumeDelay);
      resume_waiting_.store(true, std::memory_order_relaxed);
    }
    due = now >= resume_at_;
  }
  if (due) resume_waiting_.store(false, std::memory_order_relaxed);
  return due;
}

void Reactor::ResumeStarved() {
  std::vector<ChannelToken> starved;
  starved.swap(starved_);
  for (const ChannelToken& token : starved) {
    Channel* ch = channels_.Find(token);
    if (ch == nullptr) continue;
    ch->starved = false;
    if (!Consume(token, *ch, ch->pending_input.data() + ch->pending_pos,
                 ch->pending_input.size() - ch->pending_pos,
                 /*from_pending=*/true)) {
      continue;
    }
    if (ch->starved)
      continue;  // still starved: Consume kept the rest and re-queued it
    ch->pool_empty_reported = false;
    UpdateInterest(token, *ch);
  }
}

}  // namespace tofu
