#ifndef TOFU_MESSAGE_OPCODE_H_
#define TOFU_MESSAGE_OPCODE_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace tofu {

// The operation a frame carries: the low 4 bits of the `proto` byte
// (docs/protocol.md, Operations). The type can hold any 4-bit value; 10..15 are
// invalid and never produced by this library, but a frame from the network may
// carry them until validation rejects it.
enum class OpCode : uint8_t {
  kRequest = 0,
  kResponse = 1,
  kSignal = 2,
  kHelloRequest = 3,
  kHelloResponse = 4,
  kByeRequest = 5,
  kByeResponse = 6,
  kByeSignal = 7,
  kWelcomeRequest = 8,
  kWelcomeResponse = 9,
};

inline constexpr uint8_t kMaxValidOpCode = 9;

enum class MessageType : uint8_t { kRegular, kWelcome, kHello, kBye };
enum class MessageRole : uint8_t { kRequest, kResponse, kSignal };

// Who built a message: the application, or the engine (notifications, returned
// messages).
enum class Origin : uint8_t { kApplication = 0, kEngine = 1 };

constexpr bool IsValidOpCode(OpCode op) {
  return static_cast<uint8_t>(op) <= kMaxValidOpCode;
}

// Welcome messages are local to an engine: they never travel on the wire.
constexpr bool IsWireOpCode(OpCode op) {
  return IsValidOpCode(op) && op != OpCode::kWelcomeRequest &&
         op != OpCode::kWelcomeResponse;
}

// Type and role of a valid opcode. Invalid opcodes report kRegular / kRequest;
// check IsValidOpCode first where that matters.
MessageType TypeOf(OpCode op);
MessageRole RoleOf(OpCode op);

// "Request", "HelloResponse", ...; "Invalid" for 10..15.
absl::string_view OpCodeName(OpCode op);

}  // namespace tofu

#endif  // TOFU_MESSAGE_OPCODE_H_
