// A connection's incoming side (see reactor.h): reading, decoding frames into
// pool messages and delivering them (each frame reported to the channel's
// lifecycle), and holding reading back: the bytes not decoded are kept while
// the pool has no message (decoded once enough came back: ResumeDue,
// ResumeStarved), or while incomplete frames hold their share of the pool
// (ResumeCapped); a group whose application waits for nothing gets a frame
// from its reserve. Under io_mu_ only.

#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

#include "message/status.h"
#include "reactor/channel_state.h"
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

// What a complete frame from the peer tells the channel's lifecycle.
ChannelState::Event ArrivedEvent(OpCode op) {
  switch (op) {
    case OpCode::kByeRequest:
      return ChannelState::Event::kPeerByeRequest;
    case OpCode::kByeResponse:
      return ChannelState::Event::kPeerByeResponse;
    default:
      return ChannelState::Event::kFrame;
  }
}

}  // namespace

bool Reactor::ReadFrom(ChannelToken token, Channel& ch) {
  if (ch.hold == Channel::Hold::kPartialCap) return ReadHeldFrame(token, ch);
  IoResult r;
  for (int i = 0; i < kReadsPerEvent; ++i) {
    if (ch.held()) return true;
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
    counters_.BytesIn(r.bytes);
    const size_t direct = std::min(r.bytes, body.size());
    if (direct > 0) ch.decoder.CommitBody(direct);
    if (!Consume(token, ch, buffer.data(), r.bytes - direct)) return false;
    // A short read emptied the socket; a full one may have left more.
    if (r.bytes < body.size() + buffer.size()) return true;
  }
  return ReadEnded(token, ch, r.kind);
}

bool Reactor::ReadEnded(ChannelToken token, Channel& ch, IoResult::Kind kind) {
  switch (kind) {
    case IoResult::Kind::kDone:
    case IoResult::Kind::kWouldBlock:
      return true;
    case IoResult::Kind::kClosed:
      return OnChannelEvent(token, ch,
                            ch.decoder.at_frame_boundary()
                                ? ChannelState::Event::kPeerEof
                                : ChannelState::Event::kPeerEofMidFrame);
    case IoResult::Kind::kError:
      return OnChannelEvent(token, ch, ChannelState::Event::kRecvError);
  }
  return true;
}

bool Reactor::Consume(ChannelToken token, Channel& ch, const uint8_t* data,
                      size_t size, bool from_pending) {
  size_t pos = 0;
  while (true) {
    switch (ch.decoder.state()) {
      case FrameDecoder::State::kNeedMessage: {
        // A frame whose bytes are all at hand completes in this call; any
        // other stays incomplete for a while and takes one of the pool
        // messages incomplete frames may hold, or waits for one, behind the
        // channels already waiting (first come, first served).
        const bool completes = ch.decoder.FrameBytesMissing() <= size - pos;
        const bool capped =
            !completes && (partials_ >= partial_cap_ ||
                           (!capped_.empty() && !serving_capped_));
        MessagePtr m;
        if (!capped) {
          if (spare_.empty()) {
            // No more than the frames that can start in what is left (one
            // for a frame in progress), so a small read leaves the pool
            // alone.
            pool_.GetBatch(
                std::min(kSpareBatch, (size - pos) / kBinaryHeaderSize + 1),
                spare_);
          }
          m = spare_.PopFront();
        }
        bool reserve = false;
        if (m == nullptr && !capped) {
          // The pool is empty: if this group's application waits for
          // nothing, the frame goes into the group's reserve message (one
          // per group), so that no group is starved by messages other
          // groups leave unread. Published before the look, against the
          // waiter's on_block (seq_cst on both sides).
          has_starved_.store(true, std::memory_order_seq_cst);
          m = ch.group->TakeReserve();
          reserve = m != nullptr;
        }
        if (m == nullptr) {
          // Held back: keep the rest, stop reading (a capped channel reads
          // on, its frame's bytes only), and tell the application once if
          // the pool is what it waits for.
          if (from_pending) {
            ch.pending_pos = (data + pos) - ch.pending_input.data();
          } else {
            ch.pending_input.assign(data + pos, data + size);
            ch.pending_pos = 0;
          }
          if (!ch.held()) {
            if (capped) {
              ch.hold = Channel::Hold::kPartialCap;
              capped_.push_back(token);
            } else {
              ch.hold = Channel::Hold::kPoolEmpty;
              starved_.push_back(token);
            }
            UpdateInterest(token, ch);
          }
          // Not for a connection the application has not heard of yet.
          if (!capped && !ch.pool_empty_reported && ch.state.Known()) {
            ch.pool_empty_reported = true;
            deliveries_.Deliver(
                ch.group,
                NewSignal(pool_, StatusCode::kPoolEmpty, token.number, 0));
          }
          return true;
        }
        if (!completes && !reserve) {
          ch.holds_partial = true;
          ++partials_;
        }
        ch.large_bodies =
            ch.decoder.pending_header().body_length >= kDirectReadMin;
        // An incomplete frame grows its message as its bytes arrive: a peer
        // that announces a large frame and stalls holds only what it sent.
        ch.decoder.Provide(std::move(m),
                           completes ? FrameDecoder::Reserve::kWhole
                                     : FrameDecoder::Reserve::kAsItArrives);
        break;
      }
      case FrameDecoder::State::kFrameReady: {
        MessagePtr m = ch.decoder.TakeFrame();
        ReleasePartial(ch);
        ++ch.frames_in;
        counters_.FrameIn();
        BinaryHeader& h = m->header();
        // A peer cannot forge engine notifications, and channel numbers are
        // local.
        h.origin = Origin::kApplication;
        h.channel_number = token.number;
        h.status = StatusCodeFromByte(static_cast<uint8_t>(h.status));
        m->set_arrival(Arrival::kFrame);
        // An accepted channel's first frame names it to the application.
        if (!ch.state.Known()) ch.opening_id = h.message_id;
        const ChannelState::Event event = ArrivedEvent(h.op_code);
        deliveries_.Deliver(ch.group, std::move(m));
        delivered_frames_ = true;
        if (!OnChannelEvent(token, ch, event)) return false;
        if (!ch.state.Reads()) {
          // The peer's last frame: what follows it is never delivered.
          ch.hold = Channel::Hold::kPeerDone;
          std::vector<uint8_t>().swap(ch.pending_input);
          ch.pending_pos = 0;
          UpdateInterest(token, ch);
          return true;
        }
        break;
      }
      case FrameDecoder::State::kFailed:
        // Protocol violation: say so, then close this channel only.
        counters_.ProtocolViolation();
        return OnChannelEvent(token, ch, ChannelState::Event::kProtocolError,
                              ch.decoder.error());
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
  has_starved_.store(false, std::memory_order_relaxed);
  for (const ChannelToken& token : starved) {
    if (Channel* ch = channels_.Find(token)) Resume(token, *ch);
  }
}

void Reactor::ResumeCapped() {
  while (partials_ < partial_cap_ && !capped_.empty()) {
    const ChannelToken token = capped_.front();
    capped_.pop_front();
    Channel* ch = channels_.Find(token);
    // Gone, or its frame came whole meanwhile (ReadHeldFrame).
    if (ch == nullptr || ch->hold != Channel::Hold::kPartialCap) continue;
    // The slot is this channel's, ahead of those still waiting.
    serving_capped_ = true;
    Resume(token, *ch);
    serving_capped_ = false;
  }
}

bool Reactor::Resume(ChannelToken token, Channel& ch) {
  const Channel::Hold was = ch.hold;
  ch.hold = Channel::Hold::kNone;
  if (!Consume(token, ch, ch.pending_input.data() + ch.pending_pos,
               ch.pending_input.size() - ch.pending_pos,
               /*from_pending=*/true)) {
    return false;
  }
  if (ch.held()) return true;  // held again: Consume kept the rest
  if (was == Channel::Hold::kPoolEmpty) ch.pool_empty_reported = false;
  UpdateInterest(token, ch);
  return true;
}

bool Reactor::ReadHeldFrame(ChannelToken token, Channel& ch) {
  // The frame's header is decoded; what follows it is kept in pending_input.
  const size_t missing = ch.decoder.FrameBytesMissing();
  size_t have = ch.pending_input.size() - ch.pending_pos;
  const size_t want =
      std::min(missing - std::min(missing, have), read_buffer_.size());
  if (want > 0) {
    const IoResult r = ch.stream->ReadSome(
        absl::MakeSpan(read_buffer_.data(), want), absl::Span<uint8_t>());
    // Held mid-frame (its header decoded): the peer's end is mid-frame.
    if (r.kind != IoResult::Kind::kDone) return ReadEnded(token, ch, r.kind);
    counters_.BytesIn(r.bytes);
    ch.pending_input.erase(ch.pending_input.begin(),
                           ch.pending_input.begin() + ch.pending_pos);
    ch.pending_pos = 0;
    ch.pending_input.insert(ch.pending_input.end(), read_buffer_.data(),
                            read_buffer_.data() + r.bytes);
    have += r.bytes;
  }
  // Whole now: decoded at once, into an ordinary pool message.
  if (have >= missing) return Resume(token, ch);
  return true;
}

void Reactor::ReleasePartial(Channel& ch) {
  if (!ch.holds_partial) return;
  ch.holds_partial = false;
  --partials_;
}

}  // namespace tofu
