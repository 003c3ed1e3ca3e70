#ifndef TOFU_MESSAGE_FRAME_ENCODER_H_
#define TOFU_MESSAGE_FRAME_ENCODER_H_

#include <cstddef>
#include <vector>

#include "absl/types/span.h"
#include "message/binary_header.h"
#include "message/buffer.h"
#include "message/message.h"

namespace tofu {

// A contiguous piece of an outgoing batch, for one vectored write. Transports
// convert it to their system's type (iovec, WSABUF).
struct IoSlice {
  const void* data;
  size_t size;
};

// Lays out a batch of frames as slices for one vectored write, and tracks
// partial writes. Small frames (at most kCopyLimit bytes) are copied into a
// staging buffer as they are added, so a run of them goes out as one slice:
// for small frames the kernel's cost per slice, not per byte, dominates.
// Larger frames are referenced, not copied: their message must stay alive and
// unchanged until Advance() reports the frame written. Headers are encoded from
// each message's header when it is added (the header's lengths must already
// match its buffers: see PrepareForPost). Not thread-safe.
class FrameEncoder {
 public:
  static constexpr size_t kCopyLimit = 2048;

  void Add(const Message& message);

  bool empty() const { return head_ == frames_.size(); }
  size_t frame_count() const { return frames_.size() - head_; }
  // Bytes not yet written.
  size_t pending_bytes() const { return pending_bytes_; }
  // At most how many slices Gather needs for the whole batch.
  size_t slice_bound() const { return slice_bound_; }

  // Fills `out` with slices starting at the first unwritten byte; returns how
  // many it filled (at most out.size(); empty parts skipped, adjacent staged
  // frames merged).
  size_t Gather(absl::Span<IoSlice> out) const;

  // Records that `n` more bytes were written (n <= pending_bytes()). Returns
  // how many frames that completed; they leave the batch in the order they were
  // added.
  size_t Advance(size_t n);

  // Frames not started yet: all but a partly written first one.
  size_t unstarted_count() const {
    return frames_.size() - head_ - (offset_ > 0 ? 1 : 0);
  }
  // Removes the frames not started yet and returns how many: the last ones
  // added, whose messages the encoder no longer refers to. An out-of-band
  // frame goes ahead of them.
  size_t RemoveUnstarted();

  void Clear();

 private:
  static constexpr size_t kNotStaged = ~size_t{0};
  static constexpr size_t kCompactBytes = 64 * 1024;
  static constexpr size_t kCompactFrames = 1024;

  void Compact();
  struct Frame {
    WireHeader header;  // a staged frame's header is in the staging buffer
    const Message* message;
    size_t size;
    size_t staged_at;  // position in the staged stream, or kNotStaged
  };
  // Unwritten frames are frames_[head_...]; the vector is reset when they are
  // all written (no allocation per frame in steady state).
  std::vector<Frame> frames_;
  size_t head_ = 0;
  // Staged bytes from position staging_base_ of the staged stream on.
  Buffer staging_;
  size_t staging_base_ = 0;
  // Bytes of frames_[head_] already written.
  size_t offset_ = 0;
  size_t pending_bytes_ = 0;
  size_t slice_bound_ = 0;
};

}  // namespace tofu

#endif  // TOFU_MESSAGE_FRAME_ENCODER_H_
