#include "message/frame_encoder.h"

namespace tofu {

void FrameEncoder::Add(const Message& message) {
  Frame frame{EncodeBinaryHeader(message.header()), &message,
              kBinaryHeaderSize + message.text_headers().size() +
                  message.body().size()};
  pending_bytes_ += frame.size;
  frames_.push_back(frame);
}

size_t FrameEncoder::Gather(absl::Span<IoSlice> out) const {
  size_t filled = 0;
  size_t skip = offset_;
  for (const Frame& frame : frames_) {
    const IoSlice parts[3] = {
        {frame.header.data(), frame.header.size()},
        {frame.message->text_headers().data(),
         frame.message->text_headers().size()},
        {frame.message->body().data(), frame.message->body().size()},
    };
    for (const IoSlice& part : parts) {
      if (skip >= part.size) {
        skip -= part.size;
        continue;
      }
      if (filled == out.size()) return filled;
      out[filled++] = {static_cast<const char*>(part.data) + skip,
                       part.size - skip};
      skip = 0;
    }
  }
  return filled;
}

size_t FrameEncoder::Advance(size_t n) {
  pending_bytes_ -= n;
  n += offset_;
  size_t completed = 0;
  while (!frames_.empty() && n >= frames_.front().size) {
    n -= frames_.front().size;
    frames_.pop_front();
    ++completed;
  }
  offset_ = n;
  return completed;
}

void FrameEncoder::Clear() {
  frames_.clear();
  offset_ = 0;
  pending_bytes_ = 0;
}

}  // namespace tofu
