#include "message/frame_encoder.h"

#include <cstring>

namespace tofu {

void FrameEncoder::Add(const Message& message) {
  const Buffer& headers = message.text_headers();
  const Buffer& body = message.body();
  // Built in place: a Frame assembled on the stack and copied in stalled on
  // store forwarding.
  Frame& frame = frames_.emplace_back();
  frame.message = &message;
  frame.size = kBinaryHeaderSize + headers.size() + body.size();
  if (frame.size <= kCopyLimit) {
    // Encoded straight into the staging buffer, with one resize.
    const size_t at = staging_.size();
    frame.staged_at = staging_base_ + at;
    staging_.ResizeUninitialized(at + frame.size);
    uint8_t* out = staging_.data() + at;
    EncodeBinaryHeader(message.header(), out);
    out += kBinaryHeaderSize;
    if (!headers.empty()) std::memcpy(out, headers.data(), headers.size());
    out += headers.size();
    if (!body.empty()) std::memcpy(out, body.data(), body.size());
    slice_bound_ += 1;
  } else {
    frame.staged_at = kNotStaged;
    EncodeBinaryHeader(message.header(), frame.header.data());
    slice_bound_ += 3;
  }
  pending_bytes_ += frame.size;
}

size_t FrameEncoder::Gather(absl::Span<IoSlice> out) const {
  size_t filled = 0;
  size_t skip = offset_;
  // Appends a part, merged with the previous slice when they touch.
  auto add = [&](const void* data, size_t size) {
    if (skip >= size) {
      skip -= size;
      return true;
    }
    const char* begin = static_cast<const char*>(data) + skip;
    size -= skip;
    skip = 0;
    if (filled > 0) {
      IoSlice& last = out[filled - 1];
      if (static_cast<const char*>(last.data) + last.size == begin) {
        last.size += size;
        return true;
      }
    }
    if (filled == out.size()) return false;
    out[filled++] = {begin, size};
    return true;
  };
  for (size_t i = head_; i < frames_.size(); ++i) {
    const Frame& frame = frames_[i];
    if (frame.staged_at != kNotStaged) {
      if (!add(staging_.data() + (frame.staged_at - staging_base_),
               frame.size)) {
        break;
      }
      continue;
    }
    if (!add(frame.header.data(), frame.header.size()) ||
        !add(frame.message->text_headers().data(),
             frame.message->text_headers().size()) ||
        !add(frame.message->body().data(), frame.message->body().size())) {
      break;
    }
  }
  return filled;
}

size_t FrameEncoder::Advance(size_t n) {
  pending_bytes_ -= n;
  n += offset_;
  size_t completed = 0;
  while (head_ < frames_.size() && n >= frames_[head_].size) {
    n -= frames_[head_].size;
    slice_bound_ -= frames_[head_].staged_at != kNotStaged ? 1 : 3;
    ++head_;
    ++completed;
  }
  offset_ = n;
  if (head_ == frames_.size()) {
    Clear();
  } else if (completed > 0) {
    Compact();
  }
  return completed;
}

void FrameEncoder::Compact() {
  // Written frames and staged bytes are dropped once they are a good share of
  // their buffers, so a batch that never quite drains does not grow forever.
  if (head_ >= kCompactFrames && head_ * 2 >= frames_.size()) {
    frames_.erase(frames_.begin(), frames_.begin() + head_);
    head_ = 0;
  }
  for (size_t i = head_; i < frames_.size(); ++i) {
    if (frames_[i].staged_at == kNotStaged) continue;
    const size_t written = frames_[i].staged_at - staging_base_;
    if (written >= kCompactBytes && written * 2 >= staging_.size()) {
      const size_t rest = staging_.size() - written;
      std::memmove(staging_.data(), staging_.data() + written, rest);
      staging_.ResizeUninitialized(rest);
      staging_base_ = frames_[i].staged_at;
    }
    break;
  }
}

size_t FrameEncoder::RemoveUnstarted() {
  const size_t keep = head_ + (offset_ > 0 ? 1 : 0);
  if (keep >= frames_.size()) return 0;
  const size_t removed = frames_.size() - keep;
  size_t staged_end = kNotStaged;  // where the first removed staged frame was
  for (size_t i = keep; i < frames_.size(); ++i) {
    const Frame& frame = frames_[i];
    pending_bytes_ -= frame.size;
    slice_bound_ -= frame.staged_at != kNotStaged ? 1 : 3;
    if (staged_end == kNotStaged) staged_end = frame.staged_at;
  }
  // Staged frames are in the staging buffer in the order they were added.
  if (staged_end != kNotStaged) {
    staging_.ResizeUninitialized(staged_end - staging_base_);
  }
  frames_.resize(keep);
  if (head_ == frames_.size()) Clear();
  return removed;
}

void FrameEncoder::Clear() {
  frames_.clear();
  head_ = 0;
  staging_base_ += staging_.size();
  staging_.Clear();
  offset_ = 0;
  pending_bytes_ = 0;
  slice_bound_ = 0;
}

}  // namespace tofu
