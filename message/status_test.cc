#include "message/status.h"

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace tofu {
namespace {

TEST(StatusCode, ExactValuesAndNames) {
  const struct {
    int value;
    StatusCode code;
    const char* name;
  } rows[] = {
      {0, StatusCode::kSuccess, "success"},
      {1, StatusCode::kNotImplementedYet, "not_implemented_yet"},
      {2, StatusCode::kWrongAddress, "wrong_address"},
      {3, StatusCode::kNotAllowed, "not_allowed"},
      {4, StatusCode::kNullMessage, "null_message"},
      {5, StatusCode::kInvalidMessage, "invalid_message"},
      {6, StatusCode::kInvalidOpCode, "invalid_op_code"},
      {7, StatusCode::kInvalidHeadersLen, "invalid_headers_len"},
      {8, StatusCode::kInvalidBodyLen, "invalid_body_len"},
      {9, StatusCode::kInvalidMoreUsage, "invalid_more_usage"},
      {10, StatusCode::kInvalidChannelNumber, "invalid_channel_number"},
      {11, StatusCode::kInvalidChannelGroup, "invalid_channel_group"},
      {12, StatusCode::kInvalidMessageId, "invalid_message_id"},
      {13, StatusCode::kInvalidAddress, "invalid_address"},
      {14, StatusCode::kUdsPathNotFound, "uds_path_not_found"},
      {15, StatusCode::kNotificationDisabled, "notification_disabled"},
      {16, StatusCode::kNotificationFailed, "notification_failed"},
      {17, StatusCode::kPeerDisconnected, "peer_disconnected"},
      {18, StatusCode::kCommunicationFailed, "communication_failed"},
      {19, StatusCode::kPoolEmpty, "pool_empty"},
      {20, StatusCode::kAllocationFailed, "allocation_failed"},
      {21, StatusCode::kReceiverUpdate, "receiver_update"},
      {22, StatusCode::kChannelClosed, "channel_closed"},
      {23, StatusCode::kShutdownStarted, "shutdown_started"},
      {24, StatusCode::kConnectFailed, "connect_failed"},
      {25, StatusCode::kListenFailed, "listen_failed"},
      {26, StatusCode::kAcceptFailed, "accept_failed"},
      {27, StatusCode::kSendFailed, "send_failed"},
      {28, StatusCode::kRecvFailed, "recv_failed"},
      {29, StatusCode::kSetsockoptFailed, "setsockopt_failed"},
      {30, StatusCode::kProcessingFailed, "processing_failed"},
      {31, StatusCode::kUnknownError, "unknown_error"},
  };
  for (const auto& row : rows) {
    EXPECT_EQ(static_cast<int>(row.code), row.value);
    EXPECT_EQ(StatusCodeName(row.code), row.name);
    EXPECT_EQ(StatusCodeFromByte(static_cast<uint8_t>(row.value)), row.code);
  }
}

TEST(StatusCode, BytesAboveThirtyOneReadAsUnknownError) {
  for (int b = 31; b <= 255; ++b) {
    EXPECT_EQ(StatusCodeFromByte(static_cast<uint8_t>(b)),
              StatusCode::kUnknownError);
  }
  EXPECT_EQ(StatusCodeName(static_cast<StatusCode>(200)), "unknown_error");
}

TEST(StatusCode, EveryCodeRoundTripsThroughAbslStatus) {
  EXPECT_TRUE(ToAbslStatus(StatusCode::kSuccess).ok());
  EXPECT_EQ(StatusCodeOf(absl::OkStatus()), StatusCode::kSuccess);
  for (int v = 1; v <= 31; ++v) {
    const StatusCode code = static_cast<StatusCode>(v);
    const absl::Status status = ToAbslStatus(code, "detail");
    EXPECT_FALSE(status.ok()) << v;
    EXPECT_EQ(StatusCodeOf(status), code) << status;
    EXPECT_NE(status.message().find(StatusCodeName(code)),
              absl::string_view::npos);
    EXPECT_NE(status.message().find("detail"), absl::string_view::npos);
  }
}

TEST(StatusCode, CanonicalCodesFitTheMeaning) {
  EXPECT_EQ(ToAbslStatus(StatusCode::kInvalidChannelNumber).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ToAbslStatus(StatusCode::kPoolEmpty).code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ToAbslStatus(StatusCode::kShutdownStarted).code(),
            absl::StatusCode::kCancelled);
  EXPECT_EQ(ToAbslStatus(StatusCode::kConnectFailed).code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(ToAbslStatus(StatusCode::kUdsPathNotFound).code(),
            absl::StatusCode::kNotFound);
}

TEST(StatusCode, ForeignErrorsMapToUnknownError) {
  EXPECT_EQ(StatusCodeOf(absl::InternalError("not ours")),
            StatusCode::kUnknownError);
}

}  // namespace
}  // namespace tofu
