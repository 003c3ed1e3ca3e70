#include "examples/tofucat/format.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace tofu::tofucat {
namespace {

absl::string_view KindName(const Received& r) {
  switch (r.kind) {
    case Received::Kind::kNone:
      return "none";
    case Received::Kind::kFrame:
      return "frame";
    case Received::Kind::kNotification:
      return "notification";
    case Received::Kind::kReturned:
      return "returned";
    case Received::Kind::kReceiverUpdate:
      return "receiver_update";
  }
  return "none";
}

absl::string_view NotificationName(Received::Notification n) {
  switch (n) {
    case Received::Notification::kNone:
      return "none";
    case Received::Notification::kChannelClosed:
      return "channel_closed";
    case Received::Notification::kPoolEmpty:
      return "pool_empty";
    case Received::Notification::kAcceptPaused:
      return "accept_paused";
    case Received::Notification::kChannelFailed:
      return "channel_failed";
  }
  return "none";
}

std::string Hex(unsigned char c, absl::string_view prefix) {
  char digits[3];
  std::snprintf(digits, sizeof(digits), "%02x", c);
  return absl::StrCat(prefix, digits);
}

// Escapes for the human line (\xHH) or JSON (\u00HH).
std::string Escape(absl::string_view s, bool json) {
  std::string out;
  out.reserve(s.size());
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          out += Hex(c, json ? "\\u00" : "\\x");
        } else {
          out += ch;
        }
    }
  }
  return out;
}

}  // namespace

std::string HumanLine(const Message& message) {
  const Received r = Classify(message);
  const BinaryHeader& h = message.header();
  std::string line = std::string(KindName(r));
  if (r.kind == Received::Kind::kNotification) {
    absl::StrAppend(&line, " ", NotificationName(r.notification));
  }
  absl::StrAppend(&line, " ", OpCodeName(h.op_code), " ch=", h.channel_number,
                  " id=", h.message_id, " status=", StatusCodeName(h.status));
  if (h.more) line += " more";
  if (h.oob) line += " oob";
  std::string headers;
  for (const TextHeader& t : message.AllTextHeaders()) {
    absl::StrAppend(&headers, headers.empty() ? "" : ", ",
                    Escape(t.name, false), ": ", Escape(t.value, false));
  }
  if (!headers.empty()) absl::StrAppend(&line, " headers={", headers, "}");
  if (!message.body().empty()) {
    absl::StrAppend(&line, " body=\"", Escape(message.body().view(), false),
                    "\"");
  }
  return line;
}

std::string JsonLine(const Message& message) {
  const Received r = Classify(message);
  const BinaryHeader& h = message.header();
  std::string line = absl::StrCat("{\"kind\":\"", KindName(r), "\"");
  if (r.kind == Received::Kind::kNotification) {
    absl::StrAppend(&line, ",\"notification\":\"",
                    NotificationName(r.notification), "\"");
  }
  absl::StrAppend(&line, ",\"op\":\"", OpCodeName(h.op_code),
                  "\",\"channel\":", h.channel_number,
                  ",\"message_id\":", h.message_id, ",\"status\":\"",
                  StatusCodeName(h.status), "\",\"origin\":\"",
                  h.origin == Origin::kEngine ? "engine" : "application",
                  "\",\"more\":", h.more ? "true" : "false",
                  ",\"oob\":", h.oob ? "true" : "false", ",\"headers\":[");
  bool first = true;
  for (const TextHeader& t : message.AllTextHeaders()) {
    absl::StrAppend(&line, first ? "" : ",", "[\"", Escape(t.name, true),
                    "\",\"", Escape(t.value, true), "\"]");
    first = false;
  }
  absl::StrAppend(&line, "],\"body\":\"", Escape(message.body().view(), true),
                  "\"}");
  return line;
}

}  // namespace tofu::tofucat
