#include "message/binary_header.h"

#include "gtest/gtest.h"

namespace tofu {
namespace {

BinaryHeader ReferenceHeader() {
  BinaryHeader h;
  h.channel_number = 0x1234;
  h.op_code = OpCode::kRequest;
  h.status = static_cast<StatusCode>(0xFF);
  h.message_id = 0xAABBCCDDEEFF0011;
  h.text_headers_length = 0x5678;
  h.body_length = 0x9ABC;
  return h;
}

TEST(BinaryHeader, ExactWireBytes) {
  const WireHeader expected = {0x12, 0x34, 0x00, 0xFF, 0xAA, 0xBB, 0xCC, 0xDD,
                               0xEE, 0xFF, 0x00, 0x11, 0x56, 0x78, 0x9A, 0xBC};
  EXPECT_EQ(EncodeBinaryHeader(ReferenceHeader()), expected);
}

TEST(BinaryHeader, RoundTrip) {
  const BinaryHeader h = ReferenceHeader();
  const WireHeader bytes = EncodeBinaryHeader(h);
  EXPECT_EQ(DecodeBinaryHeader(bytes.data()), h);
}

TEST(BinaryHeader, ProtoBitLayout) {
  BinaryHeader h;
  h.op_code = OpCode::kHelloRequest;
  EXPECT_EQ(EncodeProto(h), 0x03);
  h.op_code = OpCode::kRequest;
  h.more = true;
  EXPECT_EQ(EncodeProto(h), 0x20);
  h.op_code = OpCode::kSignal;
  EXPECT_EQ(EncodeProto(h), 0x22);
  h.more = false;
  h.origin = Origin::kEngine;
  EXPECT_EQ(EncodeProto(h), 0x12);
  h.origin = Origin::kApplication;
  h.op_code = OpCode::kByeSignal;
  h.oob = true;
  EXPECT_EQ(EncodeProto(h), 0x47);
}

TEST(BinaryHeader, EveryProtoByteDecodesAndReservedBitIsIgnored) {
  for (int proto = 0; proto < 256; ++proto) {
    WireHeader bytes{};
    bytes[2] = static_cast<uint8_t>(proto);
    const BinaryHeader h = DecodeBinaryHeader(bytes.data());
    EXPECT_EQ(static_cast<int>(h.op_code), proto & 0x0F);
    EXPECT_EQ(h.origin == Origin::kEngine, (proto & 0x10) != 0);
    EXPECT_EQ(h.more, (proto & 0x20) != 0);
    EXPECT_EQ(h.oob, (proto & 0x40) != 0);
    EXPECT_EQ(EncodeProto(h), proto & 0x7F);
  }
}

TEST(BinaryHeader, FrameSizeLimit) { EXPECT_EQ(kMaxFrameSize, 131086u); }

}  // namespace
}  // namespace tofu
