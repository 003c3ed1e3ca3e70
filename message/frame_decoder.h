#ifndef TOFU_MESSAGE_FRAME_DECODER_H_
#define TOFU_MESSAGE_FRAME_DECODER_H_

#include <cstddef>
#include <cstdint>

#include "absl/types/span.h"
#include "message/binary_header.h"
#include "message/message.h"
#include "message/status.h"

namespace tofu {

// Turns a byte stream into frames. Bytes may arrive in any chunking; the frames
// and the error produced are the same however the stream is split.
//
// Each frame is assembled in a message the caller provides once the 16-byte
// header is known, so the caller controls memory (the engine takes it from its
// pool and stops reading when the pool is empty). Decoding validates each
// header as it arrives:
//   - opcode 10..15, WelcomeRequest and WelcomeResponse (never legal on the
//   wire)
//     -> invalid_message;
//   - text headers longer than Limits::max_text_headers -> invalid_headers_len;
//   - a body longer than Limits::max_body -> invalid_body_len.
// After an error the decoder stays failed: the stream has no resynchronisation
// point.
//
// The decoder delivers frames as received; rewriting the channel number and the
// origin is the receiving engine's business. Not thread-safe: one decoder per
// connection.
class FrameDecoder {
 public:
  struct Limits {
    uint16_t max_text_headers = kMaxTextHeadersLength;
    uint16_t max_body = kMaxBodyLength;
  };

  enum class State {
    kNeedBytes,    // feed more bytes
    kNeedMessage,  // a header is complete: Provide() a message to assemble it
                   // in
    kFrameReady,   // TakeFrame()
    kFailed,       // error() says why
  };

  FrameDecoder() = default;
  explicit FrameDecoder(Limits limits) : limits_(limits) {}

  // Consumes bytes until the current frame is complete, a message is needed,
  // the input runs out or the stream proves invalid. Returns the number of
  // bytes consumed, never more than data.size(). Consumes nothing unless the
  // state is kNeedBytes.
  size_t Feed(absl::Span<const uint8_t> data);

  State state() const { return state_; }
  // The header of the frame being assembled (valid from kNeedMessage on).
  const BinaryHeader& pending_header() const { return header_; }
  // How Provide sizes the message for the frame.
  enum class Reserve {
    kWhole,        // the whole frame at once (a pooled message's capacity
                   // usually covers it already)
    kAsItArrives,  // only as bytes arrive: a peer that announces a large
                   // frame and stalls holds no more memory than it sent
  };

  // In kNeedMessage: the message to assemble the frame in. Its previous content
  // is replaced. A frame with no text headers and no body is ready at once.
  void Provide(MessagePtr message, Reserve reserve = Reserve::kWhole);
  // Bytes of the current frame still to come (text headers and body); 0
  // between frames.
  size_t FrameBytesMissing() const;
  // In kFrameReady: the complete frame. The decoder then waits for the next
  // header.
  MessagePtr TakeFrame();
  // In kNeedBytes once the text headers are complete: the part of the body
  // still to come that the message's capacity holds (all of it after
  // Reserve::kWhole), for the caller to read straight into (sparing large
  // bodies a copy); empty otherwise. The span stays valid until the next call
  // on the decoder.
  absl::Span<uint8_t> BodyRemainder();
  // Counts the first `n` bytes of BodyRemainder() (at most its size) as fed,
  // as Feed would.
  void CommitBody(size_t n);
  // In kFailed: invalid_message, invalid_headers_len or invalid_body_len.
  StatusCode error() const { return error_; }
  // True between frames: no partial frame is buffered (a clean place for EOF).
  bool at_frame_boundary() const {
    return state_ == State::kNeedBytes && header_fill_ == 0 &&
           message_ == nullptr;
  }

 private:
  void Fail(StatusCode code);
  void CheckComplete();

  Limits limits_;
  State state_ = State::kNeedBytes;
  StatusCode error_ = StatusCode::kSuccess;
  WireHeader header_bytes_{};
  size_t header_fill_ = 0;
  BinaryHeader header_;
  MessagePtr message_;
};

}  // namespace tofu

#endif  // TOFU_MESSAGE_FRAME_DECODER_H_
