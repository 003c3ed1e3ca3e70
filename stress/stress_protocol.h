#ifndef TOFU_STRESS_STRESS_PROTOCOL_H_
#define TOFU_STRESS_STRESS_PROTOCOL_H_

// What the sweep's clients and server agree on, on top of the tofu protocol:
//
//   HelloRequest   text headers `conn` (the sweep's connection index), `cycle`
//                  (churn cycle, from 1), `size` (body bytes of every message
//                  on the channel) and `window` (stream: the client's credit
//                  window).
//   Request        echo: message_id = sequence number (1, 2, ... per channel),
//                  body from stress/payload.h. The server answers with the
//                  same message as a Response.
//   Signal         client -> server, stream: like a Request, not answered.
//                  server -> client: a credit, text header `ack` = messages
//                  received so far on the channel, sent every
//                  CreditInterval(window) messages.
//   ByeRequest     text header `sent` = messages the client sent on the
//   channel. ByeResponse    text headers `received` = messages the server
//   verified on
//                  the channel and, after any violation, `error` = the first
//                  one. Then both sides see channel_closed.
//
// So a client learns of violations the server saw even when the two run as
// separate processes.

#include <cstdint>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"
#include "message/message.h"

namespace tofu::stress {

inline constexpr absl::string_view kConnHeader = "conn";
inline constexpr absl::string_view kCycleHeader = "cycle";
inline constexpr absl::string_view kSizeHeader = "size";
inline constexpr absl::string_view kWindowHeader = "window";
inline constexpr absl::string_view kAckHeader = "ack";
inline constexpr absl::string_view kSentHeader = "sent";
inline constexpr absl::string_view kReceivedHeader = "received";
inline constexpr absl::string_view kErrorHeader = "error";

// The server acknowledges stream messages in batches of half the window
// (rounded up), so a client with `window` unacknowledged messages always gets
// a credit before it runs dry.
constexpr uint64_t CreditInterval(uint64_t window) {
  return window <= 1 ? 1 : (window + 1) / 2;
}

// The unsigned decimal value of text header `name`, if present and valid.
inline std::optional<uint64_t> NumberHeader(const Message& m,
                                            absl::string_view name) {
  std::optional<absl::string_view> text = m.FindTextHeader(name);
  uint64_t value = 0;
  if (!text.has_value() || !absl::SimpleAtoi(*text, &value)) {
    return std::nullopt;
  }
  return value;
}

}  // namespace tofu::stress

#endif  // TOFU_STRESS_STRESS_PROTOCOL_H_
