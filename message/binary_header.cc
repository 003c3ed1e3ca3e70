#include "message/binary_header.h"

namespace tofu {
namespace {

void PutU16(uint16_t v, uint8_t* out) {
  out[0] = static_cast<uint8_t>(v >> 8);
  out[1] = static_cast<uint8_t>(v);
}

void PutU64(uint64_t v, uint8_t* out) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<uint8_t>(v);
    v >>= 8;
  }
}

uint16_t GetU16(const uint8_t* in) {
  return static_cast<uint16_t>((uint16_t{in[0]} << 8) | in[1]);
}

uint64_t GetU64(const uint8_t* in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | in[i];
  return v;
}

constexpr uint8_t kOpCodeMask = 0x0F;
constexpr uint8_t kOriginBit = 1 << 4;
constexpr uint8_t kMoreBit = 1 << 5;
constexpr uint8_t kOobBit = 1 << 6;

}  // namespace

uint8_t EncodeProto(const BinaryHeader& header) {
  uint8_t proto = static_cast<uint8_t>(header.op_code) & kOpCodeMask;
  if (header.origin == Origin::kEngine) proto |= kOriginBit;
  if (header.more) proto |= kMoreBit;
  if (header.oob) proto |= kOobBit;
  return proto;
}

void EncodeBinaryHeader(const BinaryHeader& header, uint8_t* out) {
  PutU16(header.channel_number, out);
  out[2] = EncodeProto(header);
  out[3] = static_cast<uint8_t>(header.status);
  PutU64(header.message_id, out + 4);
  PutU16(header.text_headers_length, out + 12);
  PutU16(header.body_length, out + 14);
}

WireHeader EncodeBinaryHeader(const BinaryHeader& header) {
  WireHeader bytes;
  EncodeBinaryHeader(header, bytes.data());
  return bytes;
}

BinaryHeader DecodeBinaryHeader(const uint8_t* in) {
  BinaryHeader header;
  header.channel_number = GetU16(in);
  const uint8_t proto = in[2];
  header.op_code = static_cast<OpCode>(proto & kOpCodeMask);
  header.origin = (proto & kOriginBit) ? Origin::kEngine : Origin::kApplication;
  header.more = (proto & kMoreBit) != 0;
  header.oob = (proto & kOobBit) != 0;
  header.status = static_cast<StatusCode>(in[3]);
  header.message_id = GetU64(in + 4);
  header.text_headers_length = GetU16(in + 12);
  header.body_length = GetU16(in + 14);
  return header;
}

}  // namespace tofu
