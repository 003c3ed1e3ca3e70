#include "message/opcode.h"

namespace tofu {

MessageType TypeOf(OpCode op) {
  switch (op) {
    case OpCode::kHelloRequest:
    case OpCode::kHelloResponse:
      return MessageType::kHello;
    case OpCode::kByeRequest:
    case OpCode::kByeResponse:
    case OpCode::kByeSignal:
      return MessageType::kBye;
    case OpCode::kWelcomeRequest:
    case OpCode::kWelcomeResponse:
      return MessageType::kWelcome;
    default:
      return MessageType::kRegular;
  }
}

MessageRole RoleOf(OpCode op) {
  switch (op) {
    case OpCode::kResponse:
    case OpCode::kHelloResponse:
    case OpCode::kByeResponse:
    case OpCode::kWelcomeResponse:
      return MessageRole::kResponse;
    case OpCode::kSignal:
    case OpCode::kByeSignal:
      return MessageRole::kSignal;
    default:
      return MessageRole::kRequest;
  }
}

absl::string_view OpCodeName(OpCode op) {
  switch (op) {
    case OpCode::kRequest:
      return "Request";
    case OpCode::kResponse:
      return "Response";
    case OpCode::kSignal:
      return "Signal";
    case OpCode::kHelloRequest:
      return "HelloRequest";
    case OpCode::kHelloResponse:
      return "HelloResponse";
    case OpCode::kByeRequest:
      return "ByeRequest";
    case OpCode::kByeResponse:
      return "ByeResponse";
    case OpCode::kByeSignal:
      return "ByeSignal";
    case OpCode::kWelcomeRequest:
      return "WelcomeRequest";
    case OpCode::kWelcomeResponse:
      return "WelcomeResponse";
  }
  return "Invalid";
}

}  // namespace tofu
