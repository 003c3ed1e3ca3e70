#ifndef TOFU_MESSAGE_STATUS_H_
#define TOFU_MESSAGE_STATUS_H_

#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tofu {

// The u8 status carried in every frame header (docs/protocol.md, Status codes).
// Values are exact and part of the wire format. A received byte >= 31 reads as
// kUnknownError (StatusCodeFromByte).
enum class StatusCode : uint8_t {
  kSuccess = 0,
  kNotImplementedYet = 1,
  kWrongAddress = 2,
  kNotAllowed = 3,
  kNullMessage = 4,
  kInvalidMessage = 5,
  kInvalidOpCode = 6,
  kInvalidHeadersLen = 7,
  kInvalidBodyLen = 8,
  kInvalidMoreUsage = 9,
  kInvalidChannelNumber = 10,
  kInvalidChannelGroup = 11,
  kInvalidMessageId = 12,
  kInvalidAddress = 13,
  kUdsPathNotFound = 14,
  kNotificationDisabled = 15,
  kNotificationFailed = 16,
  kPeerDisconnected = 17,
  kCommunicationFailed = 18,
  kPoolEmpty = 19,
  kAllocationFailed = 20,
  kReceiverUpdate = 21,
  kChannelClosed = 22,
  kShutdownStarted = 23,
  kConnectFailed = 24,
  kListenFailed = 25,
  kAcceptFailed = 26,
  kSendFailed = 27,
  kRecvFailed = 28,
  kSetsockoptFailed = 29,
  kProcessingFailed = 30,
  kUnknownError = 31,
};

// Maps a wire byte to a status: 0..31 as themselves, anything above to
// kUnknownError.
constexpr StatusCode StatusCodeFromByte(uint8_t byte) {
  return byte >= static_cast<uint8_t>(StatusCode::kUnknownError)
             ? StatusCode::kUnknownError
             : static_cast<StatusCode>(byte);
}

// The protocol's name: "success", "pool_empty", ... ("unknown_error" for bytes
// >= 31).
absl::string_view StatusCodeName(StatusCode code);

// The absl::Status that stands for `code`: OK for kSuccess, otherwise an error
// whose canonical code fits (kInvalidArgument for invalid_*, kUnavailable for
// I/O failures, ...), whose message starts with the protocol name, and which
// carries the exact tofu status as a payload so StatusCodeOf can recover it.
// `detail`, if given, is appended to the message.
absl::Status ToAbslStatus(StatusCode code, absl::string_view detail = {});

// The tofu status inside an absl::Status made by ToAbslStatus: kSuccess for OK,
// the payload's code when present, kUnknownError for a foreign error.
StatusCode StatusCodeOf(const absl::Status& status);

// Payload URL under which ToAbslStatus stores the status byte.
inline constexpr absl::string_view kStatusPayloadUrl =
    "type.tofu.dev/tofu.StatusCode";

}  // namespace tofu

#endif  // TOFU_MESSAGE_STATUS_H_
