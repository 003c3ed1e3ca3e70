#ifndef TOFU_MESSAGE_BINARY_HEADER_H_
#define TOFU_MESSAGE_BINARY_HEADER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "absl/base/config.h"
#include "message/opcode.h"
#include "message/status.h"

namespace tofu {

inline constexpr size_t kBinaryHeaderSize = 16;
inline constexpr uint16_t kMaxTextHeadersLength = 65535;
inline constexpr uint16_t kMaxBodyLength = 65535;
inline constexpr size_t kMaxFrameSize =
    kBinaryHeaderSize + kMaxTextHeadersLength + kMaxBodyLength;

// Channel numbers: 0 is "not assigned yet", 65535 is reserved, 1..65534 name
// channels.
inline constexpr uint16_t kUnassignedChannel = 0;
inline constexpr uint16_t kMinChannelNumber = 1;
inline constexpr uint16_t kMaxChannelNumber = 65534;

// The 16-byte header that starts every frame (docs/protocol.md, Frames), in
// host form. A plain value type; encoding to and from the wire is explicit and
// independent of the host's byte order.
struct BinaryHeader {
  // The sender's local channel number.
  uint16_t channel_number = kUnassignedChannel;
  // Any 4-bit value; see IsValidOpCode.
  OpCode op_code = OpCode::kRequest;
  Origin origin = Origin::kApplication;
  // More frames with the same message_id follow (regular types only).
  bool more = false;
  // Out of band: goes to the front of its channel's send queue; an oob
  // ByeSignal is a local abortive close and is never sent.
  bool oob = false;
  // The raw status byte. Use StatusCodeFromByte to interpret a value from the
  // network.
  StatusCode status = StatusCode::kSuccess;
  uint64_t message_id = 0;
  uint16_t text_headers_length = 0;
  uint16_t body_length = 0;

  friend bool operator==(const BinaryHeader&, const BinaryHeader&) = default;
};

using WireHeader = std::array<uint8_t, kBinaryHeaderSize>;

// proto = opcode | origin<<4 | more<<5 | oob<<6; bit 7 (reserved) is written as
// 0.
inline uint8_t EncodeProto(const BinaryHeader& header);

// Writes exactly kBinaryHeaderSize bytes to `out`.
inline void EncodeBinaryHeader(const BinaryHeader& header, uint8_t* out);
WireHeader EncodeBinaryHeader(const BinaryHeader& header);

// Reads kBinaryHeaderSize bytes from `in`. Never fails: every 16-byte pattern
// is a header; whether it is acceptable (opcode, lengths) is the receiver's
// decision. The reserved bit is ignored.
inline BinaryHeader DecodeBinaryHeader(const uint8_t* in);
// The same, written field by field into `out`: a decoder that keeps the header
// in place avoids copying a freshly built one.
inline void DecodeBinaryHeader(const uint8_t* in, BinaryHeader& out);

// Implementation. Both run once per frame on the I/O thread, so they are
// inline and move the header as two 64-bit big-endian words: byte-by-byte
// stores read back as words right after cost a store-forwarding stall each.

namespace binary_header_internal {

inline uint64_t BigEndian64(uint64_t v) {
#if defined(ABSL_IS_LITTLE_ENDIAN)
  return __builtin_bswap64(v);
#else
  return v;
#endif
}

inline constexpr uint8_t kOpCodeMask = 0x0F;
inline constexpr uint8_t kOriginBit = 1 << 4;
inline constexpr uint8_t kMoreBit = 1 << 5;
inline constexpr uint8_t kOobBit = 1 << 6;

}  // namespace binary_header_internal

inline uint8_t EncodeProto(const BinaryHeader& header) {
  using binary_header_internal::kMoreBit;
  using binary_header_internal::kOobBit;
  using binary_header_internal::kOpCodeMask;
  using binary_header_internal::kOriginBit;
  return static_cast<uint8_t>(
      (static_cast<uint8_t>(header.op_code) & kOpCodeMask) |
      (header.origin == Origin::kEngine ? kOriginBit : 0) |
      (header.more ? kMoreBit : 0) | (header.oob ? kOobBit : 0));
}

inline void EncodeBinaryHeader(const BinaryHeader& header, uint8_t* out) {
  using binary_header_internal::BigEndian64;
  // Bytes 0-7: channel, proto, status, message_id's high half; bytes 8-15:
  // its low half, text headers length, body length. All big-endian.
  const uint64_t first = uint64_t{header.channel_number} << 48 |
                         uint64_t{EncodeProto(header)} << 40 |
                         uint64_t{static_cast<uint8_t>(header.status)} << 32 |
                         header.message_id >> 32;
  const uint64_t second = header.message_id << 32 |
                          uint64_t{header.text_headers_length} << 16 |
                          header.body_length;
  const uint64_t words[2] = {BigEndian64(first), BigEndian64(second)};
  std::memcpy(out, words, sizeof(words));
}

inline void DecodeBinaryHeader(const uint8_t* in, BinaryHeader& out) {
  using binary_header_internal::BigEndian64;
  using binary_header_internal::kMoreBit;
  using binary_header_internal::kOobBit;
  using binary_header_internal::kOpCodeMask;
  using binary_header_internal::kOriginBit;
  uint64_t words[2];
  std::memcpy(words, in, sizeof(words));
  const uint64_t first = BigEndian64(words[0]);
  const uint64_t second = BigEndian64(words[1]);
  const auto proto = static_cast<uint8_t>(first >> 40);
  out.channel_number = static_cast<uint16_t>(first >> 48);
  out.op_code = static_cast<OpCode>(proto & kOpCodeMask);
  out.origin = (proto & kOriginBit) ? Origin::kEngine : Origin::kApplication;
  out.more = (proto & kMoreBit) != 0;
  out.oob = (proto & kOobBit) != 0;
  out.status = static_cast<StatusCode>(static_cast<uint8_t>(first >> 32));
  out.message_id = first << 32 | second >> 32;
  out.text_headers_length = static_cast<uint16_t>(second >> 16);
  out.body_length = static_cast<uint16_t>(second);
}

inline BinaryHeader DecodeBinaryHeader(const uint8_t* in) {
  BinaryHeader header;
  DecodeBinaryHeader(in, header);
  return header;
}

}  // namespace tofu

#endif  // TOFU_MESSAGE_BINARY_HEADER_H_
