#ifndef TOFU_MESSAGE_BINARY_HEADER_H_
#define TOFU_MESSAGE_BINARY_HEADER_H_

#include <array>
#include <cstddef>
#include <cstdint>

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

// The 16-byte header that starts every frame (PROTOCOL.md section 1), in host
// form. A plain value type; encoding to and from the wire is explicit and
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
uint8_t EncodeProto(const BinaryHeader& header);

// Writes exactly kBinaryHeaderSize bytes to `out`.
void EncodeBinaryHeader(const BinaryHeader& header, uint8_t* out);
WireHeader EncodeBinaryHeader(const BinaryHeader& header);

// Reads kBinaryHeaderSize bytes from `in`. Never fails: every 16-byte pattern
// is a header; whether it is acceptable (opcode, lengths) is the receiver's
// decision. The reserved bit is ignored.
BinaryHeader DecodeBinaryHeader(const uint8_t* in);

}  // namespace tofu

#endif  // TOFU_MESSAGE_BINARY_HEADER_H_
