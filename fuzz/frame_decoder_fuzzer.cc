// Fuzzes FrameDecoder (message/frame_decoder.h) with arbitrary bytes in
// fuzzer-chosen chunks, and FrameEncoder with every frame it accepts.
//
// Input layout:
//   byte 0        n: how many chunk sizes follow (taken modulo 16)
//   byte 1        limits: 0 keeps the defaults (65535 and 65535); otherwise
//                 the high nibble * 16 bounds the text headers and the low
//                 nibble * 16 the body
//   n bytes       chunk sizes, used in turn; 0 is a Feed() of an empty span.
//                 None (or all zero): the stream in one piece.
//   the rest      the stream
//
// Invariants checked: no crash or out-of-bounds access (the sanitizers); Feed()
// never consumes more than it was given and always makes progress when it can;
// the frames, the error, the bytes consumed and the end-of-stream boundary are
// those of a one-piece reference parse, whether the stream comes in the
// fuzzer's chunks, at once or one byte at a time; a reused message keeps
// nothing of its previous content; nothing is consumed while the decoder waits
// for a message or a TakeFrame(), or after it failed; and every accepted frame
// re-encodes (FrameEncoder, written out in partial writes) to exactly the
// bytes it came from, except the reserved proto bit 7, which is ignored on
// receipt and sent as 0 (docs/protocol.md, Frames).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/types/span.h"
#include "fuzz/fuzz_support.h"
#include "message/binary_header.h"
#include "message/frame_decoder.h"
#include "message/frame_encoder.h"
#include "message/message.h"
#include "message/opcode.h"
#include "message/status.h"

namespace tofu {
namespace {

using Bytes = absl::Span<const uint8_t>;

constexpr uint8_t kReservedProtoBit = 0x80;
constexpr size_t kProtoOffset = 2;

struct Frame {
  BinaryHeader header;
  std::string text_headers;
  std::string body;
};

struct Outcome {
  std::vector<Frame> frames;
  StatusCode error = StatusCode::kSuccess;
  size_t consumed = 0;
  bool at_boundary = false;
};

std::string Slice(Bytes bytes, size_t offset, size_t size) {
  return std::string(reinterpret_cast<const char*>(bytes.data()) + offset,
                     size);
}

// The stream as docs/protocol.md (Frames) defines it, parsed in one piece: the oracle.
Outcome Reference(Bytes stream, const FrameDecoder::Limits& limits) {
  Outcome out;
  size_t pos = 0;
  while (stream.size() - pos >= kBinaryHeaderSize) {
    const BinaryHeader h = DecodeBinaryHeader(stream.data() + pos);
    if (!IsWireOpCode(h.op_code)) {
      out.error = StatusCode::kInvalidMessage;
    } else if (h.text_headers_length > limits.max_text_headers) {
      out.error = StatusCode::kInvalidHeadersLen;
    } else if (h.body_length > limits.max_body) {
      out.error = StatusCode::kInvalidBodyLen;
    }
    if (out.error != StatusCode::kSuccess) {
      // Only the offending header is read.
      out.consumed = pos + kBinaryHeaderSize;
      return out;
    }
    const size_t size =
        kBinaryHeaderSize + h.text_headers_length + h.body_length;
    if (stream.size() - pos < size) break;
    out.frames.push_back(
        {h, Slice(stream, pos + kBinaryHeaderSize, h.text_headers_length),
         Slice(stream, pos + kBinaryHeaderSize + h.text_headers_length,
               h.body_length)});
    pos += size;
  }
  out.consumed = stream.size();
  out.at_boundary = pos == stream.size();
  return out;
}

// Content a reused message must lose when the decoder is given it.
void Dirty(Message& m) {
  m.header().message_id = 0xDEADBEEF;
  m.header().op_code = static_cast<OpCode>(13);
  m.text_headers().Append("stale:header\r\n");
  m.body().Append("stale body");
}

// Decodes `stream`, fed in `chunk_sizes` in turn (empty: in one piece). With
// `recycle`, delivered messages are reused, dirty, for later frames; with
// `kept`, they are handed back there instead.
Outcome Decode(Bytes stream, const FrameDecoder::Limits& limits,
               const std::vector<size_t>& chunk_sizes, bool recycle,
               std::vector<MessagePtr>* kept) {
  FrameDecoder decoder(limits);
  Outcome out;
  std::vector<MessagePtr> spare;
  size_t pos = 0;
  size_t next_chunk = 0;
  size_t left_in_chunk = 0;
  while (true) {
    const Bytes rest = stream.subspan(pos);
    switch (decoder.state()) {
      case FrameDecoder::State::kNeedMessage: {
        const BinaryHeader& h = decoder.pending_header();
        TOFU_FUZZ_CHECK(IsWireOpCode(h.op_code));
        TOFU_FUZZ_CHECK(h.text_headers_length <= limits.max_text_headers);
        TOFU_FUZZ_CHECK(h.body_length <= limits.max_body);
        TOFU_FUZZ_CHECK(decoder.Feed(rest) == 0);
        decoder.Provide(nullptr);
        TOFU_FUZZ_CHECK(decoder.state() == FrameDecoder::State::kNeedMessage);
        MessagePtr m;
        if (recycle && !spare.empty()) {
          m = std::move(spare.back());
          spare.pop_back();
          Dirty(*m);
        } else {
          m = Message::Create();
        }
        decoder.Provide(std::move(m));
        TOFU_FUZZ_CHECK(decoder.state() != FrameDecoder::State::kNeedMessage);
        continue;
      }
      case FrameDecoder::State::kFrameReady: {
        TOFU_FUZZ_CHECK(decoder.Feed(rest) == 0);
        MessagePtr m = decoder.TakeFrame();
        TOFU_FUZZ_CHECK(m != nullptr);
        TOFU_FUZZ_CHECK(m->text_headers().size() ==
                        m->header().text_headers_length);
        TOFU_FUZZ_CHECK(m->body().size() == m->header().body_length);
        out.frames.push_back({m->header(),
                              std::string(m->text_headers().view()),
                              std::string(m->body().view())});
        if (kept != nullptr) {
          kept->push_back(std::move(m));
        } else if (recycle) {
          spare.push_back(std::move(m));
        }
        continue;
      }
      case FrameDecoder::State::kFailed:
        TOFU_FUZZ_CHECK(decoder.Feed(rest) == 0);
        TOFU_FUZZ_CHECK(decoder.TakeFrame() == nullptr);
        TOFU_FUZZ_CHECK(!decoder.at_frame_boundary());
        out.error = decoder.error();
        out.consumed = pos;
        return out;
      case FrameDecoder::State::kNeedBytes:
        break;
    }
    if (pos == stream.size()) break;
    if (left_in_chunk == 0) {
      if (chunk_sizes.empty()) {
        left_in_chunk = rest.size();
      } else {
        left_in_chunk = chunk_sizes[next_chunk++ % chunk_sizes.size()];
      }
      if (left_in_chunk == 0) {
        // An empty read: alternately a default span (null data(), which
        // once reached memcpy) and one pointing into the stream.
        TOFU_FUZZ_CHECK(decoder.Feed(next_chunk % 2 == 0
                                         ? absl::Span<const uint8_t>()
                                         : rest.subspan(0, 0)) == 0);
        continue;
      }
    }
    const size_t chunk = std::min(left_in_chunk, rest.size());
    const size_t used = decoder.Feed(rest.subspan(0, chunk));
    TOFU_FUZZ_CHECK(used <= chunk);
    // Bytes are wanted in kNeedBytes: a frame with nothing left to read would
    // have been ready.
    TOFU_FUZZ_CHECK(used > 0);
    pos += used;
    left_in_chunk -= std::min(left_in_chunk, used);
  }
  out.consumed = pos;
  out.at_boundary = decoder.at_frame_boundary();
  return out;
}

void CheckSame(const Outcome& got, const Outcome& want) {
  TOFU_FUZZ_CHECK(got.error == want.error);
  TOFU_FUZZ_CHECK(got.consumed == want.consumed);
  TOFU_FUZZ_CHECK(got.at_boundary == want.at_boundary);
  TOFU_FUZZ_CHECK(got.frames.size() == want.frames.size());
  for (size_t i = 0; i < got.frames.size(); ++i) {
    TOFU_FUZZ_CHECK(got.frames[i].header == want.frames[i].header);
    TOFU_FUZZ_CHECK(got.frames[i].text_headers == want.frames[i].text_headers);
    TOFU_FUZZ_CHECK(got.frames[i].body == want.frames[i].body);
  }
}

// Encodes `frames` as one batch and writes it out in partial writes of at
// most two slices, each cut short; the bytes must be the stream's own.
void CheckReencodes(const std::vector<MessagePtr>& frames, Bytes stream) {
  FrameEncoder encoder;
  std::vector<size_t> offsets;
  size_t total = 0;
  for (const MessagePtr& m : frames) {
    encoder.Add(*m);
    offsets.push_back(total);
    total += kBinaryHeaderSize + m->text_headers().size() + m->body().size();
  }
  TOFU_FUZZ_CHECK(encoder.frame_count() == frames.size());
  TOFU_FUZZ_CHECK(encoder.pending_bytes() == total);
  TOFU_FUZZ_CHECK(total <= stream.size());
  std::vector<uint8_t> wire;
  size_t completed = 0;
  while (!encoder.empty()) {
    IoSlice slices[2];
    const size_t n = encoder.Gather(absl::MakeSpan(slices));
    TOFU_FUZZ_CHECK(n > 0);
    size_t gathered = 0;
    for (size_t i = 0; i < n; ++i) {
      TOFU_FUZZ_CHECK(slices[i].size > 0);
      gathered += slices[i].size;
    }
    // A short write: all but the last 7 bytes when there are more.
    const size_t written = gathered > 7 ? gathered - 7 : gathered;
    size_t left = written;
    for (size_t i = 0; i < n && left > 0; ++i) {
      const size_t take = std::min(left, slices[i].size);
      const auto* bytes = static_cast<const uint8_t*>(slices[i].data);
      wire.insert(wire.end(), bytes, bytes + take);
      left -= take;
    }
    completed += encoder.Advance(written);
    TOFU_FUZZ_CHECK(encoder.pending_bytes() == total - wire.size());
  }
  TOFU_FUZZ_CHECK(completed == frames.size());
  TOFU_FUZZ_CHECK(wire.size() == total);
  for (size_t offset : offsets) {
    TOFU_FUZZ_CHECK((wire[offset + kProtoOffset] & kReservedProtoBit) == 0);
    wire[offset + kProtoOffset] |=
        stream[offset + kProtoOffset] & kReservedProtoBit;
  }
  TOFU_FUZZ_CHECK(std::equal(wire.begin(), wire.end(), stream.begin()));
}

}  // namespace
}  // namespace tofu

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using tofu::FrameDecoder;
  tofu::fuzz::ByteReader in(data, size);
  const size_t chunk_count = in.Byte() % 16;
  const uint8_t limit = in.Byte();
  FrameDecoder::Limits limits;
  if (limit != 0) {
    limits.max_text_headers = static_cast<uint16_t>((limit >> 4) * 16);
    limits.max_body = static_cast<uint16_t>((limit & 0x0F) * 16);
  }
  std::vector<size_t> chunk_sizes;
  for (size_t i = 0; i < chunk_count; ++i) chunk_sizes.push_back(in.Byte());
  if (std::all_of(chunk_sizes.begin(), chunk_sizes.end(),
                  [](size_t s) { return s == 0; })) {
    chunk_sizes.clear();
  }
  const tofu::Bytes stream(in.position(), in.remaining());

  const tofu::Outcome want = tofu::Reference(stream, limits);
  std::vector<tofu::MessagePtr> frames;
  tofu::CheckSame(tofu::Decode(stream, limits, {}, false, &frames), want);
  tofu::CheckSame(tofu::Decode(stream, limits, chunk_sizes, true, nullptr),
                  want);
  tofu::CheckSame(tofu::Decode(stream, limits, {1}, true, nullptr), want);
  tofu::CheckReencodes(frames, stream);
  return 0;
}
