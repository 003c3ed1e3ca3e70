#ifndef TOFU_MESSAGE_FRAME_ENCODER_H_
#define TOFU_MESSAGE_FRAME_ENCODER_H_

#include <cstddef>
#include <deque>

#include "absl/types/span.h"
#include "message/binary_header.h"
#include "message/message.h"

namespace tofu {

// A contiguous piece of an outgoing batch, for one vectored write. Transports
// convert it to their system's type (iovec, WSABUF).
struct IoSlice {
  const void* data;
  size_t size;
};

// Lays out a batch of frames as slices for one vectored write, and tracks
// partial writes. Frames are referenced, not copied: a message must stay alive
// and unchanged until Advance() reports its frame written. Headers are encoded
// from each message's header when it is added (the header's lengths must
// already match its buffers: see PrepareForPost). Not thread-safe.
class FrameEncoder {
 public:
  void Add(const Message& message);

  bool empty() const { return frames_.empty(); }
  size_t frame_count() const { return frames_.size(); }
  // Bytes not yet written.
  size_t pending_bytes() const { return pending_bytes_; }

  // Fills `out` with slices starting at the first unwritten byte; returns how
  // many it filled (at most out.size(); 3 per frame at most, empty parts
  // skipped).
  size_t Gather(absl::Span<IoSlice> out) const;

  // Records that `n` more bytes were written (n <= pending_bytes()). Returns
  // how many frames that completed; they leave the batch in the order they were
  // added.
  size_t Advance(size_t n);

  void Clear();

 private:
  struct Frame {
    WireHeader header;
    const Message* message;
    size_t size;
  };
  std::deque<Frame> frames_;
  // Bytes of frames_.front() already written.
  size_t offset_ = 0;
  size_t pending_bytes_ = 0;
};

}  // namespace tofu

#endif  // TOFU_MESSAGE_FRAME_ENCODER_H_
