#include "message/opcode.h"

#include "gtest/gtest.h"

namespace tofu {
namespace {

TEST(OpCode, TypesAndRolesMatchTheProtocolTable) {
  struct Row {
    OpCode op;
    MessageType type;
    MessageRole role;
    bool on_wire;
  };
  const Row rows[] = {
      {OpCode::kRequest, MessageType::kRegular, MessageRole::kRequest, true},
      {OpCode::kResponse, MessageType::kRegular, MessageRole::kResponse, true},
      {OpCode::kSignal, MessageType::kRegular, MessageRole::kSignal, true},
      {OpCode::kHelloRequest, MessageType::kHello, MessageRole::kRequest, true},
      {OpCode::kHelloResponse, MessageType::kHello, MessageRole::kResponse,
       true},
      {OpCode::kByeRequest, MessageType::kBye, MessageRole::kRequest, true},
      {OpCode::kByeResponse, MessageType::kBye, MessageRole::kResponse, true},
      {OpCode::kByeSignal, MessageType::kBye, MessageRole::kSignal, true},
      {OpCode::kWelcomeRequest, MessageType::kWelcome, MessageRole::kRequest,
       false},
      {OpCode::kWelcomeResponse, MessageType::kWelcome, MessageRole::kResponse,
       false},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(OpCodeName(row.op));
    EXPECT_TRUE(IsValidOpCode(row.op));
    EXPECT_EQ(TypeOf(row.op), row.type);
    EXPECT_EQ(RoleOf(row.op), row.role);
    EXPECT_EQ(IsWireOpCode(row.op), row.on_wire);
  }
}

TEST(OpCode, TenToFifteenAreInvalid) {
  for (int v = 10; v <= 15; ++v) {
    const OpCode op = static_cast<OpCode>(v);
    EXPECT_FALSE(IsValidOpCode(op)) << v;
    EXPECT_FALSE(IsWireOpCode(op)) << v;
    EXPECT_EQ(OpCodeName(op), "Invalid");
  }
}

TEST(OpCode, ExactNumericValues) {
  EXPECT_EQ(static_cast<int>(OpCode::kHelloRequest), 3);
  EXPECT_EQ(static_cast<int>(OpCode::kByeSignal), 7);
  EXPECT_EQ(static_cast<int>(OpCode::kWelcomeResponse), 9);
  EXPECT_EQ(OpCodeName(OpCode::kByeResponse), "ByeResponse");
}

}  // namespace
}  // namespace tofu
