#include "message/post_validation.h"

#include "message/message_id.h"

namespace tofu {
namespace {

StatusCode Fail(BinaryHeader& header, StatusCode code) {
  header.status = code;
  return code;
}

bool IsHelloOrWelcomeRequest(OpCode op) {
  return op == OpCode::kHelloRequest || op == OpCode::kWelcomeRequest;
}

}  // namespace

StatusCode PrepareForPost(Message& message) {
  BinaryHeader& header = message.header();
  if (!IsValidOpCode(header.op_code))
    return Fail(header, StatusCode::kInvalidOpCode);
  header.origin = Origin::kApplication;
  header.status = StatusCode::kSuccess;
  if (RoleOf(header.op_code) == MessageRole::kResponse &&
      header.message_id == 0) {
    return Fail(header, StatusCode::kInvalidMessageId);
  }
  if (header.more && TypeOf(header.op_code) != MessageType::kRegular) {
    return Fail(header, StatusCode::kInvalidMoreUsage);
  }
  if (header.channel_number == kUnassignedChannel &&
      !IsHelloOrWelcomeRequest(header.op_code)) {
    return Fail(header, StatusCode::kInvalidChannelNumber);
  }
  if (message.text_headers().size() > kMaxTextHeadersLength) {
    return Fail(header, StatusCode::kInvalidHeadersLen);
  }
  header.text_headers_length =
      static_cast<uint16_t>(message.text_headers().size());
  if (header.text_headers_length == 0 &&
      IsHelloOrWelcomeRequest(header.op_code)) {
    return Fail(header, StatusCode::kWrongAddress);
  }
  if (message.body().size() > kMaxBodyLength) {
    return Fail(header, StatusCode::kInvalidBodyLen);
  }
  header.body_length = static_cast<uint16_t>(message.body().size());
  if (header.message_id == 0) header.message_id = NextMessageId();
  return StatusCode::kSuccess;
}

}  // namespace tofu
