#include "message/frame_decoder.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace tofu {

void FrameDecoder::Fail(StatusCode code) {
  state_ = State::kFailed;
  error_ = code;
  message_.reset();
}

size_t FrameDecoder::Feed(absl::Span<const uint8_t> data) {
  // An empty span may have a null data(), which memcpy must never see.
  if (state_ != State::kNeedBytes || data.empty()) return 0;
  size_t used = 0;
  if (message_ == nullptr) {
    if (header_fill_ == 0 && data.size() >= kBinaryHeaderSize) {
      // The whole header is at hand (the usual case): decoded in place.
      DecodeBinaryHeader(data.data(), header_);
      used = kBinaryHeaderSize;
    } else {
      const size_t n = std::min(kBinaryHeaderSize - header_fill_, data.size());
      std::memcpy(header_bytes_.data() + header_fill_, data.data(), n);
      header_fill_ += n;
      used = n;
      if (header_fill_ < kBinaryHeaderSize) return used;
      header_fill_ = 0;
      DecodeBinaryHeader(header_bytes_.data(), header_);
    }
    if (!IsWireOpCode(header_.op_code)) {
      Fail(StatusCode::kInvalidMessage);
    } else if (header_.text_headers_length > limits_.max_text_headers) {
      Fail(StatusCode::kInvalidHeadersLen);
    } else if (header_.body_length > limits_.max_body) {
      Fail(StatusCode::kInvalidBodyLen);
    } else {
      state_ = State::kNeedMessage;
    }
    return used;
  }
  // Assembling: text headers first, then the body.
  Buffer& headers = message_->text_headers();
  if (headers.size() < header_.text_headers_length) {
    const size_t n = std::min<size_t>(
        header_.text_headers_length - headers.size(), data.size() - used);
    headers.Append(data.data() + used, n);
    used += n;
  }
  Buffer& body = message_->body();
  if (headers.size() == header_.text_headers_length &&
      body.size() < header_.body_length) {
    const size_t n =
        std::min<size_t>(header_.body_length - body.size(), data.size() - used);
    body.Append(data.data() + used, n);
    used += n;
  }
  CheckComplete();
  return used;
}

void FrameDecoder::Provide(MessagePtr message, Reserve reserve) {
  if (state_ != State::kNeedMessage || message == nullptr) return;
  message_ = std::move(message);
  message_->Reset();
  message_->header() = header_;
  if (reserve == Reserve::kWhole) {
    message_->text_headers().Reserve(header_.text_headers_length);
    message_->body().Reserve(header_.body_length);
  }
  state_ = State::kNeedBytes;
  CheckComplete();
}

absl::Span<uint8_t> FrameDecoder::BodyRemainder() {
  if (state_ != State::kNeedBytes || message_ == nullptr ||
      message_->text_headers().size() < header_.text_headers_length) {
    return {};
  }
  Buffer& body = message_->body();
  const size_t missing = header_.body_length - body.size();
  return absl::MakeSpan(body.data() + body.size(),
                        std::min(missing, body.capacity() - body.size()));
}

size_t FrameDecoder::FrameBytesMissing() const {
  if (message_ == nullptr) {
    if (state_ != State::kNeedMessage) return 0;
    return size_t{header_.text_headers_length} + header_.body_length;
  }
  return header_.text_headers_length - message_->text_headers().size() +
         header_.body_length - message_->body().size();
}

void FrameDecoder::CommitBody(size_t n) {
  const absl::Span<uint8_t> rest = BodyRemainder();
  if (rest.empty()) return;
  Buffer& body = message_->body();
  body.ResizeUninitialized(body.size() + std::min(n, rest.size()));
  CheckComplete();
}

void FrameDecoder::CheckComplete() {
  if (message_->text_headers().size() == header_.text_headers_length &&
      message_->body().size() == header_.body_length) {
    state_ = State::kFrameReady;
  }
}

MessagePtr FrameDecoder::TakeFrame() {
  if (state_ != State::kFrameReady) return nullptr;
  state_ = State::kNeedBytes;
  return std::move(message_);
}

}  // namespace tofu
