#include "tofu/requests.h"

#include "message/status.h"

namespace tofu {
namespace {

absl::Status MakeRequest(Address address, Address::Role role,
                         Message& message) {
  address.role = role;
  // Through the parser, so a value the protocol cannot carry is refused
  // here rather than by the engine.
  absl::StatusOr<Address> checked = ParseAddressValue(address.Value(), role);
  if (!checked.ok()) return checked.status();
  return FormatAddress(*checked, message);
}

}  // namespace

absl::Status MakeHelloRequest(const Address& to, Message& message) {
  return MakeRequest(to, Address::Role::kClient, message);
}

absl::Status MakeWelcomeRequest(const Address& on, Message& message) {
  return MakeRequest(on, Address::Role::kServer, message);
}

absl::StatusOr<Address> ListenAddressOf(const Message& welcome_response) {
  const BinaryHeader& h = welcome_response.header();
  if (h.op_code != OpCode::kWelcomeResponse ||
      h.status != StatusCode::kSuccess) {
    return ToAbslStatus(StatusCode::kInvalidAddress,
                        "not a successful WelcomeResponse");
  }
  std::optional<absl::string_view> value =
      welcome_response.FindTextHeader(kListenOnHeader);
  if (!value.has_value()) {
    return ToAbslStatus(StatusCode::kInvalidAddress, "no ~listen_on header");
  }
  return Address::Parse(*value);
}

absl::Status MakeReply(Message& message) {
  BinaryHeader& h = message.header();
  OpCode answer;
  switch (h.op_code) {
    case OpCode::kRequest:
      answer = OpCode::kResponse;
      break;
    case OpCode::kHelloRequest:
      answer = OpCode::kHelloResponse;
      break;
    case OpCode::kByeRequest:
      answer = OpCode::kByeResponse;
      break;
    default:
      return ToAbslStatus(StatusCode::kInvalidOpCode,
                          "only a Request, HelloRequest or ByeRequest has a "
                          "reply");
  }
  h.op_code = answer;
  h.status = StatusCode::kSuccess;
  h.origin = Origin::kApplication;
  h.more = false;
  h.oob = false;
  return absl::OkStatus();
}

}  // namespace tofu
