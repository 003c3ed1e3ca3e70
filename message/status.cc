#include "message/status.h"

#include <array>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace tofu {
namespace {

constexpr std::array<absl::string_view, 32> kNames = {
    "success",
    "not_implemented_yet",
    "wrong_address",
    "not_allowed",
    "null_message",
    "invalid_message",
    "invalid_op_code",
    "invalid_headers_len",
    "invalid_body_len",
    "invalid_more_usage",
    "invalid_channel_number",
    "invalid_channel_group",
    "invalid_message_id",
    "invalid_address",
    "uds_path_not_found",
    "notification_disabled",
    "notification_failed",
    "peer_disconnected",
    "communication_failed",
    "pool_empty",
    "allocation_failed",
    "receiver_update",
    "channel_closed",
    "shutdown_started",
    "connect_failed",
    "listen_failed",
    "accept_failed",
    "send_failed",
    "recv_failed",
    "setsockopt_failed",
    "processing_failed",
    "unknown_error",
};

absl::StatusCode CanonicalCode(StatusCode code) {
  switch (code) {
    case StatusCode::kSuccess:
      return absl::StatusCode::kOk;
    case StatusCode::kNotImplementedYet:
      return absl::StatusCode::kUnimplemented;
    case StatusCode::kWrongAddress:
    case StatusCode::kNullMessage:
    case StatusCode::kInvalidMessage:
    case StatusCode::kInvalidOpCode:
    case StatusCode::kInvalidHeadersLen:
    case StatusCode::kInvalidBodyLen:
    case StatusCode::kInvalidMoreUsage:
    case StatusCode::kInvalidChannelNumber:
    case StatusCode::kInvalidChannelGroup:
    case StatusCode::kInvalidMessageId:
    case StatusCode::kInvalidAddress:
      return absl::StatusCode::kInvalidArgument;
    case StatusCode::kNotAllowed:
    case StatusCode::kNotificationDisabled:
      return absl::StatusCode::kFailedPrecondition;
    case StatusCode::kUdsPathNotFound:
      return absl::StatusCode::kNotFound;
    case StatusCode::kPoolEmpty:
    case StatusCode::kAllocationFailed:
      return absl::StatusCode::kResourceExhausted;
    case StatusCode::kReceiverUpdate:
      return absl::StatusCode::kAborted;
    case StatusCode::kShutdownStarted:
      return absl::StatusCode::kCancelled;
    case StatusCode::kNotificationFailed:
    case StatusCode::kPeerDisconnected:
    case StatusCode::kCommunicationFailed:
    case StatusCode::kChannelClosed:
    case StatusCode::kConnectFailed:
    case StatusCode::kAcceptFailed:
    case StatusCode::kSendFailed:
    case StatusCode::kRecvFailed:
      return absl::StatusCode::kUnavailable;
    case StatusCode::kListenFailed:
    case StatusCode::kSetsockoptFailed:
    case StatusCode::kProcessingFailed:
      return absl::StatusCode::kInternal;
    case StatusCode::kUnknownError:
      return absl::StatusCode::kUnknown;
  }
  return absl::StatusCode::kUnknown;
}

}  // namespace

absl::string_view StatusCodeName(StatusCode code) {
  return kNames[static_cast<uint8_t>(
      StatusCodeFromByte(static_cast<uint8_t>(code)))];
}

absl::Status ToAbslStatus(StatusCode code, absl::string_view detail) {
  code = StatusCodeFromByte(static_cast<uint8_t>(code));
  if (code == StatusCode::kSuccess) return absl::OkStatus();
  absl::Status status(CanonicalCode(code),
                      detail.empty()
                          ? std::string(StatusCodeName(code))
                          : absl::StrCat(StatusCodeName(code), ": ", detail));
  status.SetPayload(kStatusPayloadUrl,
                    absl::Cord(std::string(1, static_cast<char>(code))));
  return status;
}

StatusCode StatusCodeOf(const absl::Status& status) {
  if (status.ok()) return StatusCode::kSuccess;
  std::optional<absl::Cord> payload = status.GetPayload(kStatusPayloadUrl);
  if (!payload.has_value() || payload->size() != 1)
    return StatusCode::kUnknownError;
  const uint8_t byte = static_cast<uint8_t>((*payload)[0]);
  return StatusCodeFromByte(byte);
}

}  // namespace tofu
